"""Background work inside ``vodguard serve``: periodic housekeeping, event delivery, embedded workers.

Each job is a plain service function run in its own daemon thread; a failure is logged and the job runs again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from vodguard.services import uploads
from vodguard.services.container import Services
from vodguard.timeutil import utcnow

log = logging.getLogger("vodguard.background")


def sweep_uploads(services: Services) -> None:
    with services.db.transaction() as s:
        uploads.sweep_expired(s, services.blobs, now=utcnow())


def jobs() -> list[tuple[str, float, Callable[[Services], None]]]:
    """(name, seconds between runs, function)."""
    return [("sweep-uploads", 300.0, sweep_uploads)]


class Background:
    """Runs every job in its own daemon thread until ``stop()``."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for name, every, fn in jobs():
            thread = threading.Thread(target=self._loop, args=(name, every, fn), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _loop(self, name: str, every: float, fn: Callable[[Services], None]) -> None:
        while not self._stop.is_set():
            try:
                fn(self.services)
            except Exception:
                log.exception("background job %s failed; it runs again in %.0f s", name, every)
            self._stop.wait(every)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
