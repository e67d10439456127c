"""Moderation tasks: submission, deduplication, state changes. The task row is the truth; the queue carries ids."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vodguard import ids
from vodguard.errors import InvalidParameterValue
from vodguard.services import templates
from vodguard.services.container import Services
from vodguard.store.models import Media, Task

SESSION_ID_WINDOW = timedelta(days=3)


def check_session(
    session: Session, *, app_id: int, session_id: str, session_context: str, now: datetime
) -> None:
    if len(session_id) > 50:
        raise InvalidParameterValue(
            "SessionId is longer than 50 characters", code="InvalidParameterValue.SessionIdTooLong"
        )
    if len(session_context) > 1000:
        raise InvalidParameterValue(
            "SessionContext is longer than 1000 characters",
            code="InvalidParameterValue.SessionContextTooLong",
        )
    if session_id:
        seen = session.scalar(
            select(Task.task_id).where(
                Task.app_id == app_id,
                Task.session_id == session_id,
                Task.created_at > now - SESSION_ID_WINDOW,
            )
        )
        if seen:
            raise InvalidParameterValue(
                f"SessionId {session_id!r} was used in the last 3 days (task {seen}); the request is deduplicated",
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
    """Create a WAITING ReviewAudioVideo task in the caller's transaction; returns its TaskId."""
    templates.get_review_template(session, app_id=media.app_id, definition=definition)
    if not -10 <= priority <= 10:
        raise InvalidParameterValue(
            "TasksPriority must be between -10 and 10", code="InvalidParameterValue.TasksPriority"
        )
    check_session(
        session, app_id=media.app_id, session_id=session_id, session_context=session_context, now=now
    )
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
    session.add(task)
    session.flush()
    return task.task_id
