"""Signed, expiring URLs for media, covers and evidence.

The scheme is the cloud's "key anti-leech" (type A): ``?t=<hex expiry>&us=<random>&sign=md5(KEY + Dir + t + us)``
where ``Dir`` is the URL path up to and including its last ``/``. An app backend that already signs playback URLs
for the cloud can sign vodguard's the same way with the key from ``vodguard keys``' data directory.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import quote


class UrlSigner:
    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key

    def _sign(self, path: str, t: str, us: str) -> str:
        directory = path[: path.rfind("/") + 1]
        return hashlib.md5(f"{self.key}{directory}{t}{us}".encode()).hexdigest()

    def url(self, path: str, *, ttl: int, now: float | None = None) -> tuple[str, int]:
        """A URL for ``path`` (starting with /) valid for ``ttl`` seconds, and its expiry as Unix seconds."""
        expires = int((now if now is not None else time.time()) + ttl)
        t, us = f"{expires:x}", secrets.token_hex(5)
        return f"{self.base_url}{quote(path)}?t={t}&us={us}&sign={self._sign(path, t, us)}", expires

    def check(self, path: str, t: str, us: str, sign: str, *, now: float | None = None) -> bool:
        try:
            expires = int(t, 16)
        except ValueError:
            return False
        if expires < (now if now is not None else time.time()):
            return False
        return hmac.compare_digest(self._sign(path, t, us), sign.lower())
