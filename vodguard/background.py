"""Background work inside ``vodguard serve`` and ``vodguard worker``: periodic housekeeping, event delivery,
embedded workers, and the banking of people's blocks.

Each job is a plain service function run in its own daemon thread; a failure is logged and the job runs again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from vodguard.queue import WorkerPool
from vodguard.services import known_banking, leases, push, replay, reviews, signins, uploads
from vodguard.services.container import Services
from vodguard.timeutil import utcnow

log = logging.getLogger("vodguard.background")


def sweep_uploads(services: Services) -> None:
    with services.db.transaction() as s:
        uploads.sweep_expired(s, services.blobs, now=utcnow())


def sweep_auth(services: Services) -> None:
    """Forget API signatures past the clock-skew window and console sign-in failures past the lockout window."""
    now = utcnow()
    with services.db.transaction() as s:
        replay.sweep_expired(s, now=now)
        signins.sweep_expired(s, now=now)


def reap_leases(services: Services) -> None:
    with services.db.transaction() as s:
        leases.reap_expired_leases(
            s, queue=services.queue, lease_seconds=services.settings.task_lease_seconds, now=utcnow()
        )


def sweep_evidence(services: Services) -> None:
    """Evidence files (thumbnails, segment lists) go once their URLs have expired."""
    cutoff = time.time() - services.settings.evidence_days * 86400
    services.blobs.sweep_older("evidence", cutoff, depth=2)


def bank_known(services: Services) -> None:
    """Hash people's blocks that are still pending into the bank (those a stopped process left too)."""
    known_banking.bank_pending(services)


def worker_jobs(services: Services) -> list[tuple[str, float, Callable[[Services], None]]]:
    """What every process with workers runs: the lease reaper and the evidence sweep."""
    return [
        ("reap-leases", max(services.settings.task_lease_seconds / 3, 0.5), reap_leases),
        ("sweep-evidence", 3600.0, sweep_evidence),
    ]


def jobs(services: Services) -> list[tuple[str, float, Callable[[Services], None]]]:
    """(name, seconds between runs, function) for ``vodguard serve``."""
    return [
        ("sweep-uploads", 300.0, sweep_uploads),
        ("sweep-auth", 60.0, sweep_auth),
        ("push-events", 0.0, push.DispatchJob()),
        *worker_jobs(services),
    ]


class Background:
    """Runs every job in its own daemon thread until ``stop()``."""

    def __init__(self, services: Services, *, workers: int | None = None, api: bool = True) -> None:
        self.services = services
        self.workers = services.settings.workers if workers is None else workers
        self.api = api
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pool: WorkerPool | None = None

    def start(self) -> None:
        if self.workers > 0:
            self._pool = WorkerPool(
                self.services.queue,
                lambda task_id: reviews.process(self.services, task_id),
                threads=self.workers,
            )
            self._pool.start()
            leases.requeue_waiting(
                self.services.db,
                queue=self.services.queue,
                lease_seconds=self.services.settings.task_lease_seconds,
            )
        chosen = jobs(self.services) if self.api else worker_jobs(self.services)
        if self.workers > 0:  # hashing is workers' work: an API-only server leaves people's blocks to them
            every = min(max(self.services.settings.task_lease_seconds / 3, 0.5), 5.0)
            chosen.append(("bank-known", every, bank_known))
        for name, every, fn in chosen:
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
        if self._pool is not None:
            self._pool.stop()
        for thread in self._threads:
            thread.join(timeout=5)
