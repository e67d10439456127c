"""People's decisions on media (approve publishes, block forbids), recorded with who and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vodguard.errors import InvalidParameterValue
from vodguard.services import media as media_service
from vodguard.store.models import ReviewDecision


def decide(
    session: Session, *, app_id: int, file_id: str, decision: str, reason: str, operator: str, now: datetime
) -> ReviewDecision:
    """``approve`` makes the media playable (published, not forbidden); ``block`` forbids it."""
    if decision not in ("approve", "block"):
        raise InvalidParameterValue(
            f"Decision {decision!r} must be approve or block", code="InvalidParameterValue.Decision"
        )
    if len(reason) > 512:
        raise InvalidParameterValue(
            "Reason is longer than 512 characters", code="InvalidParameterValue.Reason"
        )
    media = media_service.get_media(session, app_id=app_id, file_id=file_id)
    if decision == "approve":
        media.published, media.status = True, "Normal"
    else:
        media.published, media.status = False, "Forbidden"
    media.updated_at = now
    row = ReviewDecision(
        app_id=app_id, file_id=file_id, decision=decision, reason=reason, operator=operator, created_at=now
    )
    session.add(row)
    session.flush()
    return row


def history(
    session: Session, *, app_id: int, file_id: str | None, offset: int, limit: int
) -> list[ReviewDecision]:
    query = select(ReviewDecision).where(ReviewDecision.app_id == app_id)
    if file_id:
        query = query.where(ReviewDecision.file_id == file_id)
    return list(session.scalars(query.order_by(ReviewDecision.id.desc()).offset(offset).limit(limit)))
