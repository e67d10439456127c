"""The task queue: Huey carries task ids from the API to the workers; the task row stays the truth.

``SqliteHuey`` in the data directory by default (workers inside ``vodguard serve``), ``PriorityRedisHuey`` when
``VODGUARD_QUEUE_URL=redis://...`` (``vodguard worker`` on any number of machines). Higher priority leaves first.
A message may be delivered twice (re-queued by the reaper, say); the worker's atomic claim on the row makes the
second delivery a no-op. Workers are plain threads that dequeue and run a handler, so they start and stop with the
process that owns them (no signal handlers, unlike Huey's own consumer).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from huey import PriorityRedisHuey, SqliteHuey
from huey.api import Huey

log = logging.getLogger("vodguard.queue")

REVIEW = "review"


class TaskQueue:
    def __init__(self, queue_url: str, data_dir: Path, name: str = "vodguard") -> None:
        if queue_url.startswith(("redis://", "rediss://", "unix://")):
            self.huey: Huey = PriorityRedisHuey(name, url=queue_url, utc=True, results=False)
        elif queue_url:
            raise SystemExit(f"VODGUARD_QUEUE_URL {queue_url!r}: use redis://host:port/db, or leave it empty")
        else:
            self.huey = SqliteHuey(name, filename=str(data_dir / "queue.db"), utc=True, results=False)
        self._handler: Callable[[str], None] | None = None
        self._review = self.huey.task(name=REVIEW)(self._run)

    def _run(self, task_id: str) -> None:
        if self._handler is None:
            raise RuntimeError("this process has no worker handler; start workers before dequeuing")
        self._handler(task_id)

    def enqueue(self, task_id: str, *, priority: int = 0) -> None:
        """Put a task id on the queue; ``priority`` −10..10, higher first."""
        self.huey.enqueue(self._review.s(task_id, priority=priority))

    def pending(self) -> int:
        count: int = self.huey.pending_count()  # huey ships no types
        return count

    def flush(self) -> None:
        self.huey.flush()


class WorkerPool:
    """``threads`` workers that dequeue task ids and hand them to ``handler`` until ``stop()``."""

    def __init__(self, queue: TaskQueue, handler: Callable[[str], None], *, threads: int = 1) -> None:
        self.queue = queue
        self.threads = threads
        queue._handler = handler
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []

    def start(self) -> None:
        for i in range(self.threads):
            worker = threading.Thread(target=self._loop, name=f"worker-{i}", daemon=True)
            worker.start()
            self._workers.append(worker)

    def _loop(self) -> None:
        huey = self.queue.huey
        delay = 0.05
        while not self._stop.is_set():
            try:
                task = huey.dequeue()
            except Exception:
                log.exception("the queue is unreachable; retrying")
                task = None
            if task is None:
                self._stop.wait(delay)
                delay = min(delay * 1.5, 1.0)
                continue
            delay = 0.05
            try:
                huey.execute(task)
            except Exception:
                log.exception("task %s failed in the worker", task.args)

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=10)
