"""A real vodguard server on a free port, in a thread, for tests (and the helpers tests use to talk to it)."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from tests.paths import MODEL_CACHE
from tests.ports import free_port
from vodguard.api.app import create_app
from vodguard.background import Background
from vodguard.config import Settings
from vodguard.services import apps
from vodguard.services.apps import KeyPair
from vodguard.services.container import Services, open_services
from vodguard.timeutil import utcnow


@dataclass
class RunningServer:
    settings: Settings
    services: Services
    server: uvicorn.Server
    thread: threading.Thread
    background: Background | None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.settings.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    def new_key(self, app_id: int | None = None) -> KeyPair:
        with self.services.db.transaction() as s:
            return apps.create_key(s, app_id=app_id, now=utcnow())

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        if self.background:
            self.background.stop()
        self.services.close()


def scale_overrides(data_dir: Path) -> dict[str, object]:
    """Settings that put a test server on PostgreSQL / Redis / S3 when the run asks for them (tests/services.py)."""
    from tests import services as real

    out: dict[str, object] = {}
    if os.environ.get("VODGUARD_TEST_DATABASE") == "postgresql":
        out["database_url"] = real.postgres_url(data_dir)
    if os.environ.get("VODGUARD_TEST_STORAGE") == "s3":
        out["storage_url"] = real.s3_url(data_dir)
    if os.environ.get("VODGUARD_TEST_QUEUE") == "redis":
        out["queue_url"] = real.redis_url()
        out["queue_name"] = "vg-" + hashlib.sha1(str(data_dir).encode()).hexdigest()[:12]
    return out


def start_server(data_dir: Path, *, background: bool = True, **overrides: object) -> RunningServer:
    port = overrides.pop("port", None) or free_port()
    # the derived model files are shared, as the CLI tests share them (tests/paths.py MODEL_CACHE)
    overrides = {"model_cache_dir": MODEL_CACHE, **scale_overrides(Path(data_dir)), **overrides}
    settings = Settings(data_dir=data_dir, port=port, **overrides)
    services = open_services(settings)
    app = create_app(services)
    # No proxy headers, as in `vodguard serve`: the app trusts X-Forwarded-For from VODGUARD_TRUSTED_PROXIES only.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", proxy_headers=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    bg = None
    if background:
        bg = Background(services)
        bg.start()
    return RunningServer(settings, services, server, thread, bg)
