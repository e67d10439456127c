"""The services a process shares: database, blob store, URL signer, rate limiter, event wake-ups."""

from __future__ import annotations

import asyncio
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vodguard.config import Settings
from vodguard.queue import TaskQueue
from vodguard.services.concurrency import AppSlots, Slots
from vodguard.services.ratelimit import RateLimiter, RedisRateLimiter, open_rate_limiter
from vodguard.services.urls import UrlSigner
from vodguard.store.blobs import BlobStore, open_blob_store
from vodguard.store.db import Database, migrate

if TYPE_CHECKING:
    from vodguard.moderation import Engine
    from vodguard.moderation.config import CustomModel, EngineConfig


class Wakeups:
    """Lets PullEvents wait for new events without polling the database in a tight loop (one process)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._version = 0
        self._futures: list[asyncio.Future[None]] = []  # async waiters (PullEvents on the event loop)

    def notify(self) -> None:
        with self._cond:
            self._version += 1
            self._cond.notify_all()
            futures, self._futures = self._futures, []
        for future in futures:
            try:
                future.get_loop().call_soon_threadsafe(_wake, future)
            except RuntimeError:  # its loop is closed: nobody waits on it any more
                pass

    @property
    def version(self) -> int:
        return self._version

    def wait(self, timeout: float, *, since: int | None = None) -> None:
        """Wait for a notify after ``since`` (a ``version`` read before the caller looked), or ``timeout``."""
        with self._cond:
            seen = self._version if since is None else since
            self._cond.wait_for(lambda: self._version != seen, timeout=timeout)

    async def wait_async(self, timeout: float, *, since: int | None = None) -> None:
        """``wait`` on the event loop, holding no thread."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with self._cond:
            if since is not None and self._version != since:
                return
            self._futures.append(future)
        try:
            await asyncio.wait_for(future, timeout=timeout)
        except TimeoutError:
            pass
        finally:
            with self._cond:
                if future in self._futures:
                    self._futures.remove(future)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


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
    _engine: Any = None
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


def engine_config(settings: Settings) -> EngineConfig:
    """The engine's settings from the server's."""
    from vodguard.moderation.config import EngineConfig, Limits

    custom = load_custom_models(settings.custom_models_file) if settings.custom_models_file else ()
    return EngineConfig(
        models_dir=settings.models_dir,
        frame_interval=settings.frame_interval,
        ocr_interval=settings.ocr_interval,
        video_tiles=settings.video_tiles,
        asr_model=settings.asr_model,
        asr_model_path=settings.asr_model_path,
        asr_language=settings.asr_language,
        nudenet_path=settings.nudenet_path,
        sound_model_path=settings.sound_model_path,
        efficientnet_path=settings.efficientnet_path,
        ocr_det_model_path=settings.ocr_det_model_path,
        ocr_rec_model_path=settings.ocr_rec_model_path,
        ocr_rec_keys_path=settings.ocr_rec_keys_path,
        custom_models=custom,
        limits=Limits(
            max_file_bytes=settings.max_upload_bytes,
            max_image_bytes=settings.review_image_max_bytes,
            wall_seconds=settings.task_wall_seconds,
        ),
    )


def load_custom_models(path: Path) -> tuple[CustomModel, ...]:
    """Operator-supplied ONNX models from a JSON list: ``[{"path", "kind", "labels", ...}]`` (docs/models.md)."""
    import json

    from vodguard.moderation.config import CustomModel

    try:
        entries = json.loads(Path(path).read_text())
        models = []
        for entry in entries:
            entry["path"] = Path(entry["path"]).expanduser()
            for key in ("mean", "std"):
                if key in entry:
                    entry[key] = tuple(entry[key])
            models.append(CustomModel(**entry))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise SystemExit(f"VODGUARD_CUSTOM_MODELS_FILE {path}: {exc}") from None
    for model in models:
        if not model.path.exists():
            raise SystemExit(f"VODGUARD_CUSTOM_MODELS_FILE {path}: model file {model.path} does not exist")
    return tuple(models)


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
