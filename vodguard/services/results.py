"""Finishing a task: its result or its failure, the media's review info and publishing, and the
ReviewAudioVideoComplete event, each in one transaction; a failed attempt goes back on the queue while attempts
remain."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from vodguard import metrics
from vodguard.moderation.errors import ModerationError
from vodguard.moderation.types import ModerationResult
from vodguard.queue import TaskQueue
from vodguard.services import decisions, events, tasks, templates, wire
from vodguard.services import media as media_service
from vodguard.services.events import Wakeups
from vodguard.services.leases import ReviewJob
from vodguard.store.db import Database
from vodguard.store.models import Media, ReviewTemplate, Task
from vodguard.timeutil import utcnow

if TYPE_CHECKING:
    from vodguard.services.wire.results import ReviewOutput, SegmentItem

log = logging.getLogger("vodguard.reviews")


def record_review(
    session: Session,
    media: Media,
    *,
    definition: int,
    output: ReviewOutput | None,
    segments: Sequence[SegmentItem] = (),
    cover: ReviewOutput | None = None,
    digest: str = "",
    now: datetime,
) -> None:
    """Write a review on its media: the review info of the media (``output`` and all its ``segments``; None when
    the media itself was not reviewed) and of the cover, the publishing that follows, and the bytes' SHA-256."""
    if output is not None:
        media.review = wire.results.review_info(definition, output, segments, now)
        media_service.apply_publishing(session, media, output["Suggestion"])
    if cover is not None:
        media.cover_review = wire.results.review_info(definition, cover, cover.get("SegmentSet", []), now)
    media.updated_at = now  # a new result: the console asks a person again
    if digest:
        media.sha256 = digest
        if output is not None:  # people decided on these bytes before: their decision holds
            decisions.follow_identical(session, media=media, now=now)


def finish_succeeded(
    db: Database,
    wakeups: Wakeups,
    *,
    task_id: str,
    output: ReviewOutput,
    media_result: ModerationResult | None,
    cover_result: ReviewOutput | None,
    reuse_key: str = "",
    reused_from: str = "",
    media_digest: str = "",
) -> None:
    now = utcnow()
    with db.transaction() as s:
        task = s.get(Task, task_id)
        if task is None or task.status != "PROCESSING":
            return
        task.status, task.finish_at, task.progress = "FINISH", now, 1.0
        task.err_code_ext, task.message, task.output = "", "SUCCESS", output
        task.reuse_key, task.reused_from = reuse_key, reused_from
        _observe_finish(task, output, None if reused_from else media_result)
        if reused_from:
            metrics.REUSED.inc()
        media = s.get(Media, task.file_id)
        if media is not None:
            record_review(
                s, media, definition=task.definition, output=output if media_result is not None else None,
                segments=wire.results.segment_set(media_result.segments) if media_result is not None else (),
                cover=cover_result, digest=media_digest, now=now,
            )  # fmt: skip
        emit_complete(s, wakeups, task, now)
        verdict = str(output.get("Suggestion", "pass"))
        if verdict != "pass":
            verdict += f" {output.get('Label')}/{output.get('Form')}"
        _log_finish(s, task, verdict)


def finish_failed(db: Database, wakeups: Wakeups, *, task_id: str, code: str, message: str) -> None:
    now = utcnow()
    with db.transaction() as s:
        task = s.get(Task, task_id)
        if task is None or task.status not in ("PROCESSING", "WAITING"):
            return
        task.status, task.finish_at = "FINISH", now
        task.err_code_ext, task.message, task.output = code, message[:2000], None
        metrics.TASKS.labels(err_code_ext=code).inc()
        emit_complete(s, wakeups, task, now)
        _log_finish(s, task, f"error {code}: {message[:200]}")


def retry_or_fail(
    db: Database,
    wakeups: Wakeups,
    *,
    queue: TaskQueue,
    job: ReviewJob,
    exc: Exception,
    attempts: int,
    lease_seconds: float,
) -> None:
    """After the engine failed: queue the task again, or fail it once it has had ``attempts`` tries."""
    if isinstance(exc, ModerationError):
        message = f"{type(exc).__name__}: {exc}"
    else:
        message = f"the moderation engine failed ({type(exc).__name__})"
        log.exception("task %s failed on attempt %d", job.task_id, job.attempts, exc_info=exc)
    if job.attempts >= attempts:
        finish_failed(db, wakeups, task_id=job.task_id, code="InternalError", message=message)
        return
    with db.transaction() as s:
        task = s.get(Task, job.task_id)
        if task is not None and task.status == "PROCESSING":
            task.status, task.message = "WAITING", message
            tasks.enqueue_after_commit(s, task, queue=queue, lease_seconds=lease_seconds)


def _observe_finish(task: Task, output: ReviewOutput, result: ModerationResult | None) -> None:
    metrics.TASKS.labels(err_code_ext="").inc()
    metrics.RESULTS.labels(
        suggestion=output.get("Suggestion", "pass"), label=output.get("Label") or "none"
    ).inc()
    if task.begin_at is not None and task.finish_at is not None:
        seconds = max((task.finish_at - task.begin_at).total_seconds(), 0.5)
        metrics.TASK_SECONDS.observe(seconds)
        if result is not None and result.duration:
            metrics.REALTIME.observe(result.duration / seconds)


def _log_finish(session: Session, task: Task, verdict: str) -> None:
    """One line per finished task, to follow a server's work (and find a task) in its log."""
    if task.definition == templates.PRESET_DEFINITION:
        labels = ",".join(templates.PRESET_LABELS)
    else:
        row = session.get(ReviewTemplate, task.definition)
        labels = ",".join(row.labels) if row is not None else "?"
    seconds = (task.finish_at - (task.begin_at or task.created_at)).total_seconds() if task.finish_at else 0.0
    reused = f", reused from {task.reused_from}" if task.reused_from else ""
    log.info(
        "task %s file %s: %s (labels %s; template %d) in %.1f s%s",
        task.task_id, task.file_id, verdict, labels, task.definition, seconds, reused,
    )  # fmt: skip


def emit_complete(session: Session, wakeups: Wakeups, task: Task, now: datetime) -> None:
    """The ReviewAudioVideoComplete event of a finished task, in the caller's transaction."""
    events.emit(
        session,
        wakeups=wakeups,
        app_id=task.app_id,
        event_type="ReviewAudioVideoComplete",
        body=wire.shapes.review_complete_event(task),
        order_key=task.file_id,
        now=now,
    )
