"""People's decisions on media (approve publishes, block forbids), recorded with who and when, in the audit log too."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vodguard.errors import N_, InvalidParameterValue
from vodguard.services import audit
from vodguard.services import media as media_service
from vodguard.store.models import Media, ReviewDecision

SAME_CONTENT = "vodguard (same content)"  # the operator of decisions taken over from identical bytes


def decide(
    session: Session, *, app_id: int, file_id: str, decision: str, reason: str, operator: str, now: datetime
) -> ReviewDecision:
    """``approve`` makes the media playable (published, not forbidden); ``block`` forbids it."""
    if decision not in ("approve", "block"):
        raise InvalidParameterValue(
            N_("Decision %(decision)r must be approve or block"),
            params={"decision": decision},
            code="InvalidParameterValue.Decision",
        )
    if len(reason) > 512:
        raise InvalidParameterValue(
            N_("Reason is longer than 512 characters"), code="InvalidParameterValue.Reason"
        )
    media = media_service.get_media(session, app_id=app_id, file_id=file_id)
    if decision == "approve":
        media.published, media.status = True, "Normal"
    else:
        media.published, media.status = False, "Forbidden"
    media.updated_at = now
    row = ReviewDecision(
        app_id=app_id, file_id=file_id, decision=decision, reason=reason, operator=operator,
        sha256=media.sha256, created_at=now,
    )  # fmt: skip
    session.add(row)
    audit.record(
        session,
        app_id=app_id,
        person=operator,
        action=f"decision.{decision}",
        target=file_id,
        detail=reason,
        now=now,
    )
    session.flush()
    return row


def follow_identical(session: Session, *, media: Media, now: datetime) -> ReviewDecision | None:
    """Block ``media`` when the latest decision a person made on its bytes is a block of another FileId.

    A video blocked once stays blocked when it is uploaded again, even if the first copy was deleted since.
    Only blocks carry over: an approval was given to what one template showed the person, and the copy may be
    reviewed under another; and the latest word wins, so a person who approved this very file, or these bytes
    anywhere since, is not overruled. The block is recorded like any other, with the FileId it follows in its
    reason and ``SAME_CONTENT`` as its operator. Call it after the review result is written.
    """
    if not media.sha256:
        return None
    # decisions taken on this file before its bytes were first hashed belong to these bytes too
    for own in session.scalars(
        select(ReviewDecision).where(
            ReviewDecision.app_id == media.app_id,
            ReviewDecision.file_id == media.file_id,
            ReviewDecision.sha256 == "",
        )
    ):
        own.sha256 = media.sha256
    latest = session.scalars(
        select(ReviewDecision)
        .where(
            ReviewDecision.app_id == media.app_id,
            ReviewDecision.sha256 == media.sha256,
            ReviewDecision.operator != SAME_CONTENT,
        )
        .order_by(ReviewDecision.id.desc())
        .limit(1)
    ).first()
    if latest is None or latest.file_id == media.file_id or latest.decision != "block":
        return None
    reason = f"same content as FileId {latest.file_id}" + (f": {latest.reason}" if latest.reason else "")
    return decide(
        session, app_id=media.app_id, file_id=media.file_id, decision="block", reason=reason[:512],
        operator=SAME_CONTENT, now=now,
    )  # fmt: skip


def history(
    session: Session, *, app_id: int, file_id: str | None, offset: int, limit: int
) -> list[ReviewDecision]:
    query = select(ReviewDecision).where(ReviewDecision.app_id == app_id)
    if file_id:
        query = query.where(ReviewDecision.file_id == file_id)
    return list(session.scalars(query.order_by(ReviewDecision.id.desc()).offset(offset).limit(limit)))
