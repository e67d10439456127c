"""The services a process shares: database, blob store, URL signer, rate limiter, event wake-ups."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vodguard.config import Settings
from vodguard.queue import TaskQueue
from vodguard.services.concurrency import AppSlots, Slots
from vodguard.services.engine_settings import engine_config
from vodguard.services.events import Wakeups
from vodguard.services.ratelimit import RateLimiter, RedisRateLimiter, open_rate_limiter
from vodguard.services.urls import UrlSigner
from vodguard.store.blobs import BlobStore, open_blob_store
from vodguard.store.db import Database, migrate

if TYPE_CHECKING:
    from vodguard.moderation import Engine


@dataclass
class Services:
    settings: Settings
    db: Database
    blobs: BlobStore
    urls: UrlSigner
    queue: TaskQueue
    limiter: RateLimiter | RedisRateLimiter = field(default_factory=RateLimiter)
    wakeups: Wakeups = field(default_factory=Wakeups)
    # per-app API requests in flight, and ReviewImage moderations running in this process (audit D5)
    app_slots: AppSlots = field(default_factory=lambda: AppSlots(0, 0.0))
    review_image_slots: Slots = field(default_factory=lambda: Slots(0, 0.0))
    _engine: Engine | None = None  # built on first use by engine()
    _fingerprint: str = ""
    _engine_lock: threading.Lock = field(default_factory=threading.Lock)

    def engine(self) -> Engine:
        """The moderation engine of this process, created on first use (models load lazily inside it)."""
        with self._engine_lock:
            if self._engine is None:
                from vodguard.moderation import Engine
                from vodguard.moderation.fingerprint import engine_fingerprint

                self._engine = Engine(engine_config(self.settings))
                # taken with the engine: the model files as this process found them, not as they are later
                self._fingerprint = engine_fingerprint(self._engine.config)
            return self._engine

    def engine_fingerprint(self) -> str:
        """The fingerprint (``moderation/fingerprint.py``) of this process's engine, computed once with it."""
        self.engine()
        return self._fingerprint

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
        queue=TaskQueue(settings.queue_url, settings.data_dir, settings.queue_name),
        limiter=open_rate_limiter(settings.queue_url, settings.queue_name),
        app_slots=AppSlots(settings.app_concurrency, settings.concurrency_wait_seconds),
        review_image_slots=Slots(settings.review_image_concurrency, settings.concurrency_wait_seconds),
    )
