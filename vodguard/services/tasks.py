"""Moderation tasks: submission, deduplication, state changes. The task row is the truth; the queue carries ids."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vodguard import ids
from vodguard.digits import parse_digits
from vodguard.errors import N_, InvalidParameterValue
from vodguard.queue import TaskQueue
from vodguard.services import templates
from vodguard.services.container import Services
from vodguard.store.db import after_commit
from vodguard.store.models import Media, UsedSessionId
from vodguard.store.models import Task as Task  # re-exported: api/ may not import store/
from vodguard.timeutil import utcnow

SESSION_ID_WINDOW = timedelta(days=3)
REQUEUE_LEASES = 10  # a WAITING task unclaimed for this many lease periods is queued again
VISIBLE_FOR = timedelta(days=3)


def check_priority(priority: int) -> None:
    if not -10 <= priority <= 10:
        raise InvalidParameterValue(
            N_("TasksPriority must be between -10 and 10"), code="InvalidParameterValue.TasksPriority"
        )


def check_session_fields(*, session_id: str = "", session_context: str = "") -> None:
    """The lengths of SessionId and SessionContext (whether a SessionId was used is ``claim_session_id``)."""
    if len(session_id) > 50:
        raise InvalidParameterValue(
            "SessionId is longer than 50 characters", code="InvalidParameterValue.SessionIdTooLong"
        )
    if len(session_context) > 1000:
        raise InvalidParameterValue(
            "SessionContext is longer than 1000 characters",
            code="InvalidParameterValue.SessionContextTooLong",
        )


def claim_session_id(session: Session, *, app_id: int, session_id: str, task_id: str, now: datetime) -> None:
    """Record the SessionId for 3 days; a second use in that window is refused, even from another API server."""
    seen = session.get(UsedSessionId, (app_id, session_id))
    if seen is not None and seen.created_at > now - SESSION_ID_WINDOW:
        raise _duplicate(session_id, seen.task_id)
    if seen is not None:
        seen.task_id, seen.created_at = task_id, now
        return
    try:
        with session.begin_nested():
            session.add(UsedSessionId(app_id=app_id, session_id=session_id, task_id=task_id, created_at=now))
    except IntegrityError:  # another server took it between our read and our write
        raise _duplicate(session_id, "") from None


def _duplicate(session_id: str, task_id: str) -> InvalidParameterValue:
    earlier = f" (task {task_id})" if task_id else ""
    return InvalidParameterValue(
        f"SessionId {session_id!r} was used in the last 3 days{earlier}; the request is deduplicated",
        code="InvalidParameterValue.SessionId",
    )


def start_review(
    session: Session,
    *,
    services: Services,
    media: Media,
    definition: int,
    contents: list[str],
    priority: int = 0,
    session_id: str = "",
    session_context: str = "",
    ext_info: str = "",
    now: datetime,
) -> str:
    """Create a WAITING ReviewAudioVideo task in the caller's transaction; returns its TaskId.

    Once the transaction commits, the queue carries the TaskId to a worker, which runs ``services.reviews.process``.
    """
    templates.get_review_template(session, app_id=media.app_id, definition=definition)
    check_priority(priority)
    check_session_fields(session_id=session_id, session_context=session_context)
    task = Task(
        task_id=ids.task_id(media.app_id),
        app_id=media.app_id,
        file_id=media.file_id,
        priority=priority,
        definition=definition,
        review_contents=contents or ["Media"],
        session_id=session_id,
        session_context=session_context,
        ext_info=ext_info,
        created_at=now,
    )
    if session_id:
        claim_session_id(session, app_id=media.app_id, session_id=session_id, task_id=task.task_id, now=now)
    session.add(task)
    session.flush()
    enqueue_after_commit(
        session, task, queue=services.queue, lease_seconds=services.settings.task_lease_seconds
    )
    return task.task_id


def enqueue_after_commit(session: Session, task: Task, *, queue: TaskQueue, lease_seconds: float) -> None:
    """Queue the task once the transaction that wrote it commits (a worker must find the row).

    While a task waits, ``lease_until`` says when the reaper should queue it again if no worker has claimed it by
    then: a queue message can be lost (a worker killed between taking it and claiming the row), a row cannot.
    """
    task.lease_until = utcnow() + timedelta(seconds=REQUEUE_LEASES * lease_seconds)
    task_id, priority = task.task_id, task.priority
    after_commit(session, lambda: queue.enqueue(task_id, priority=priority))


def find_task(session: Session, *, app_id: int, task_id: str) -> Task | None:
    """The app's task with this TaskId, however old; None when there is none."""
    task = session.get(Task, task_id)
    return task if task is not None and task.app_id == app_id else None


def find_any_task(session: Session, task_id: str) -> Task | None:
    """The task with this TaskId in whichever app, for the operator's command line on the data directory."""
    return session.get(Task, task_id)


def get_task(session: Session, *, app_id: int, task_id: str, now: datetime) -> Task:
    """The app's task as the API shows it: visible for 3 days; raises ``InvalidParameterValue.TaskId``."""
    task = find_task(session, app_id=app_id, task_id=task_id)
    if task is None or task.created_at < now - VISIBLE_FOR:
        raise InvalidParameterValue(
            f"TaskId {task_id!r} does not exist (tasks are visible for 3 days)",
            code="InvalidParameterValue.TaskId",
        )
    return task


def abort_waiting(session: Session, *, app_id: int, file_id: str, now: datetime) -> int:
    """Abort the file's tasks that have not started (its media is being deleted)."""
    tasks = list(
        session.scalars(
            select(Task).where(Task.app_id == app_id, Task.file_id == file_id, Task.status == "WAITING")
        )
    )
    for task in tasks:
        task.status, task.finish_at, task.message = "ABORTED", now, "the media was deleted"
    return len(tasks)


@dataclass
class TaskQuery:
    status: str | None = None
    file_id: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    finished_after: datetime | None = None
    finished_before: datetime | None = None
    sort_field: str = "CreateTime"
    sort_order: str = "Desc"
    limit: int = 10
    scroll_token: str = ""


def list_tasks(session: Session, *, app_id: int, query: TaskQuery, now: datetime) -> tuple[list[Task], str]:
    """DescribeTasks: the last 72 hours, filtered and sorted; the ScrollToken is the next page's offset, opaque."""
    if query.status not in (None, "", "WAITING", "PROCESSING", "FINISH", "ABORTED"):
        raise InvalidParameterValue(
            f"Status {query.status!r} must be WAITING, PROCESSING or FINISH",
            code="InvalidParameterValue.Status",
        )
    if not 1 <= query.limit <= 100:
        raise InvalidParameterValue("Limit must be between 1 and 100", code="InvalidParameterValue.Limit")
    if query.sort_field not in ("CreateTime", "FinishTime") or query.sort_order not in ("Asc", "Desc"):
        raise InvalidParameterValue(
            "Sort must be {Field: CreateTime|FinishTime, Order: Asc|Desc}", code="InvalidParameterValue.Sort"
        )
    offset = _decode_token(query.scroll_token)
    stmt = select(Task).where(Task.app_id == app_id, Task.created_at >= now - VISIBLE_FOR)
    if query.status:
        stmt = stmt.where(Task.status == query.status)
    if query.file_id:
        stmt = stmt.where(Task.file_id == query.file_id)
    if query.created_after:
        stmt = stmt.where(Task.created_at >= query.created_after)
    if query.created_before:
        stmt = stmt.where(Task.created_at < query.created_before)
    if query.finished_after:
        stmt = stmt.where(Task.finish_at >= query.finished_after)
    if query.finished_before:
        stmt = stmt.where(Task.finish_at < query.finished_before)
    column = Task.created_at if query.sort_field == "CreateTime" else Task.finish_at
    order = column.asc() if query.sort_order == "Asc" else column.desc()
    tie = Task.task_id.asc() if query.sort_order == "Asc" else Task.task_id.desc()
    rows = list(session.scalars(stmt.order_by(order, tie).offset(offset).limit(query.limit + 1)))
    token = _encode_token(offset + query.limit) if len(rows) > query.limit else ""
    return rows[: query.limit], token


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def _decode_token(token: str) -> int:
    if not token:
        return 0
    try:
        kind, _, value = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        offset = parse_digits(value)
        if kind != "o" or offset is None:
            raise ValueError
        return offset
    except ValueError:
        raise InvalidParameterValue(
            N_("ScrollToken is not one this server issued"), code="InvalidParameterValue.ScrollToken"
        ) from None
