"""Console sessions: an HMAC-signed cookie, CSRF tokens bound to it, and short signed flash messages.

``signer(request)`` gives the server's ``Signer``; pages (``views.py``) and the session checks (``auth.py``) both
use it, so it lives here, below both.

The signing key is derived from the data directory's URL-signing secret, so sessions survive a restart and die
when that secret is rotated. A session also carries a fingerprint of the credential it was opened with (the key
pair or the console password hash): revoking the key or changing the password ends every session opened with it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Request

COOKIE = "vg_console"
PRE_COOKIE = "vg_console_pre"  # anonymous CSRF seed for the sign-in form
FLASH_COOKIE = "vg_console_flash"
LIFETIME = 12 * 3600


@dataclass(frozen=True)
class ConsoleSession:
    """Who is signed in: the app, how (``key``, ``password`` or ``user``; ``secret_id`` holds the SecretId or the
    account's id), and the CSRF seed of this session."""

    app_id: int
    method: str
    secret_id: str
    fingerprint: str
    sid: str
    expires: int


class Signer:
    """Signs and checks small JSON payloads and derives CSRF tokens; one per server."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), b"vodguard console v1", hashlib.sha256).digest()

    def _mac(self, purpose: str, data: bytes) -> str:
        digest = hmac.new(self._key, purpose.encode() + b"\0" + data, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def dumps(self, purpose: str, payload: dict[str, Any]) -> str:
        # Unpadded Base64 keeps the cookie value free of characters that would make it a quoted string.
        data = (
            base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
        )
        return f"{data}.{self._mac(purpose, data.encode())}"

    def loads(self, purpose: str, token: str) -> dict[str, Any] | None:
        """The payload, or None when the token is malformed or its signature is wrong."""
        data, _, mac = token.partition(".")
        if not data or not mac or not hmac.compare_digest(mac, self._mac(purpose, data.encode())):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(data.encode() + b"=" * (-len(data) % 4)))
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None

    def fingerprint(self, credential: str) -> str:
        return self._mac("credential", credential.encode())[:22]

    def csrf_token(self, seed: str) -> str:
        return self._mac("csrf", seed.encode())

    def check_csrf(self, seed: str, token: str) -> bool:
        return bool(seed) and bool(token) and hmac.compare_digest(self.csrf_token(seed), token)

    # Sessions

    def new_session(self, *, app_id: int, method: str, secret_id: str, credential: str) -> ConsoleSession:
        return ConsoleSession(
            app_id=app_id,
            method=method,
            secret_id=secret_id,
            fingerprint=self.fingerprint(credential),
            sid=secrets.token_urlsafe(16),
            expires=int(time.time()) + LIFETIME,
        )

    def session_cookie(self, session: ConsoleSession) -> str:
        return self.dumps(
            "session",
            {"a": session.app_id, "m": session.method, "k": session.secret_id, "f": session.fingerprint,
             "s": session.sid, "e": session.expires},
        )  # fmt: skip

    def read_session(self, cookie: str, *, now: float | None = None) -> ConsoleSession | None:
        """The session in a cookie, or None when it is forged, malformed or expired."""
        payload = self.loads("session", cookie)
        if payload is None:
            return None
        try:
            session = ConsoleSession(
                app_id=int(payload["a"]), method=str(payload["m"]), secret_id=str(payload["k"]),
                fingerprint=str(payload["f"]), sid=str(payload["s"]), expires=int(payload["e"]),
            )  # fmt: skip
        except (KeyError, TypeError, ValueError):
            return None
        if session.expires < (now if now is not None else time.time()):
            return None
        return session


def signer(request: Request) -> Signer:
    """The server's console signer (keyed by the data directory's URL-signing secret)."""
    state = request.app.state
    if getattr(state, "console_signer", None) is None:
        state.console_signer = Signer(state.services.urls.key)
    console_signer: Signer = state.console_signer  # app.state holds Any
    return console_signer
