"""Task leases: a worker claims a task, a heartbeat renews its lease while the engine works, and the reaper queues
again what a dead worker held. ``ReviewJob`` is what a claimed task's run needs, read in the claim's transaction.

The claim is one conditional UPDATE (WAITING, or PROCESSING with an expired lease → PROCESSING with a new lease),
so a task delivered twice runs once. If the worker dies, the lease expires and ``reap_expired_leases`` puts the
task back on the queue.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from vodguard.errors import InvalidParameterValue
from vodguard.moderation.types import Template
from vodguard.queue import TaskQueue
from vodguard.services import tasks, templates
from vodguard.store.db import Database, rowcount
from vodguard.store.models import Media, Task
from vodguard.timeutil import utcnow

log = logging.getLogger("vodguard.reviews")


def claim(session: Session, *, task_id: str, lease_seconds: float, now: datetime) -> Task | None:
    """Take the task if it is waiting or its lease expired; None when another worker holds it or it is done."""
    result = session.execute(
        update(Task)
        .where(
            Task.task_id == task_id,
            or_(Task.status == "WAITING", and_(Task.status == "PROCESSING", Task.lease_until < now)),
        )
        .values(
            status="PROCESSING",
            lease_until=now + timedelta(seconds=lease_seconds),
            attempts=Task.attempts + 1,
            begin_at=now,
        )
    )
    if rowcount(result) != 1:
        return None
    return session.get(Task, task_id)


def renew_lease(db: Database, *, task_id: str, lease_seconds: float, progress: float | None = None) -> bool:
    """Extend the lease; False if the task is no longer ours to work on (aborted, or reaped and re-claimed)."""
    now = utcnow()
    values: dict[str, Any] = {"lease_until": now + timedelta(seconds=lease_seconds)}
    if progress is not None:
        values["progress"] = progress
    with db.transaction() as s:
        result = s.execute(
            update(Task).where(Task.task_id == task_id, Task.status == "PROCESSING").values(**values)
        )
        return rowcount(result) == 1


def reap_expired_leases(
    session: Session, *, queue: TaskQueue, lease_seconds: float, now: datetime
) -> list[str]:
    """Queue again what a worker lost: PROCESSING tasks whose lease expired (the worker died or lost the database),
    and WAITING tasks whose queue message may be gone (a worker died between taking it and claiming the row)."""
    expired = list(session.scalars(select(Task).where(Task.status == "PROCESSING", Task.lease_until < now)))
    for task in expired:
        log.warning("task %s lost its worker (lease expired); queued again", task.task_id)
        task.status = "WAITING"
    stale = list(session.scalars(select(Task).where(Task.status == "WAITING", Task.lease_until < now)))
    for task in {t.task_id: t for t in [*expired, *stale]}.values():
        # a duplicate message is harmless
        tasks.enqueue_after_commit(session, task, queue=queue, lease_seconds=lease_seconds)
    return [t.task_id for t in expired]


def requeue_waiting(db: Database, *, queue: TaskQueue, lease_seconds: float) -> int:
    """Queue every WAITING task again (at start-up: the queue may have lost messages; duplicates are harmless)."""
    with db.transaction() as s:
        rows = list(s.scalars(select(Task).where(Task.status == "WAITING").order_by(Task.created_at)))
        for task in rows:
            tasks.enqueue_after_commit(s, task, queue=queue, lease_seconds=lease_seconds)
        return len(rows)


@dataclass
class Heartbeat:
    """Renews a task's lease from its own thread, a third of the lease apart, until ``stop()``; ``lost`` turns
    True when the task was taken from this worker. ``progress`` is written with each renewal."""

    db: Database
    task_id: str
    lease_seconds: float
    progress: float = 0.0
    lost: bool = False

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{self.task_id[-8:]}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        every = max(self.lease_seconds / 3, 0.2)
        while not self._stop.wait(every):
            try:
                renewed = renew_lease(
                    self.db, task_id=self.task_id, lease_seconds=self.lease_seconds, progress=self.progress
                )
                if not renewed:
                    self.lost = True
                    return
            except Exception:
                log.exception("could not renew the lease of %s", self.task_id)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@dataclass
class ReviewJob:
    """What the engine needs from the rows, read in the claim's transaction."""

    task_id: str
    app_id: int
    file_id: str
    attempts: int
    priority: int
    contents: list[str]
    template: Template | None
    media_key: str
    cover_key: str
    is_image: bool
    error: str = ""

    @classmethod
    def of(cls, task: Task, media: Media | None, session: Session) -> ReviewJob:
        job = cls(
            task_id=task.task_id, app_id=task.app_id, file_id=task.file_id, attempts=task.attempts,
            priority=task.priority, contents=list(task.review_contents or ["Media"]), template=None, media_key="",
            cover_key="", is_image=False,
        )  # fmt: skip
        if media is None:
            job.error = f"the media {task.file_id} was deleted before it was reviewed"
            return job
        try:
            view = templates.get_review_template(session, app_id=task.app_id, definition=task.definition)
        except InvalidParameterValue:  # the template was deleted since the task was submitted
            job.error = f"review template {task.definition} no longer exists"
            return job
        job.template = templates.engine_template(view)
        job.media_key, job.cover_key = media.blob_key, media.cover_blob_key
        job.is_image = media.category == "Image"
        return job
