"""The services a process shares: database, blob store, URL signer, rate limiter, event wake-ups."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from vodguard.config import Settings
from vodguard.services.ratelimit import RateLimiter
from vodguard.services.urls import UrlSigner
from vodguard.store.blobs import LocalBlobStore, open_blob_store
from vodguard.store.db import Database, migrate


class Wakeups:
    """Lets PullEvents wait for new events without polling the database in a tight loop (one process)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._version = 0

    def notify(self) -> None:
        with self._cond:
            self._version += 1
            self._cond.notify_all()

    def wait(self, timeout: float) -> None:
        with self._cond:
            seen = self._version
            self._cond.wait_for(lambda: self._version != seen, timeout=timeout)


@dataclass
class Services:
    settings: Settings
    db: Database
    blobs: LocalBlobStore
    urls: UrlSigner
    limiter: RateLimiter = field(default_factory=RateLimiter)
    wakeups: Wakeups = field(default_factory=Wakeups)

    def close(self) -> None:
        self.db.dispose()


def _url_key(settings: Settings) -> str:
    if settings.url_sign_key:
        return settings.url_sign_key
    path: Path = settings.data_dir / "url-sign.key"  # the anti-leech KEY
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_hex(32))
        tmp.replace(path)
    return path.read_text().strip()


def open_services(settings: Settings) -> Services:
    """Prepare the data directory, migrate the database and open everything a server or worker needs."""
    settings.prepare()
    migrate(settings.sqlalchemy_url)
    return Services(
        settings=settings,
        db=Database(settings.sqlalchemy_url),
        blobs=open_blob_store(settings.storage_url, settings.blob_dir),
        urls=UrlSigner(settings.base_url(), _url_key(settings)),
    )
