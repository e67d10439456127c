"""What happens after an upload: the NewFileUpload event and the procedure the upload named."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from vodguard.services import events, templates, wire
from vodguard.services import media as media_service
from vodguard.services.container import Services
from vodguard.services.events import Wakeups
from vodguard.services.tasks import start_review
from vodguard.services.urls import UrlSigner
from vodguard.store.models import Media


def announce_upload(
    session: Session,
    *,
    media: Media,
    urls: UrlSigner,
    wakeups: Wakeups,
    ttl: int,
    review_task_id: str = "",
    now: datetime,
) -> None:
    """Emit NewFileUpload (spec §2.5 FileUploadTask) in the caller's transaction."""
    basic = media_service.basic_info(media, urls, ttl=ttl)
    body = wire.shapes.upload_event(media, basic, review_task_id=review_task_id)
    events.emit(
        session, wakeups=wakeups, app_id=media.app_id, event_type="NewFileUpload", body=body,
        order_key=media.file_id, now=now,
    )  # fmt: skip


def after_upload(
    session: Session,
    *,
    services: Services,
    media: Media,
    procedure: str,
    priority: int,
    session_context: str,
    now: datetime,
) -> str:
    """Start the upload's procedure (if any) and announce the upload; returns the review task id or ""."""
    review_task_id = ""
    if procedure:
        template = templates.get_procedure(session, app_id=media.app_id, name=procedure)
        if template.review_definition is not None:
            review_task_id = start_review(
                session, services=services, media=media, definition=template.review_definition,
                contents=list(template.review_contents), priority=priority, session_context=session_context, now=now,
            )  # fmt: skip
    announce_upload(
        session, media=media, urls=services.urls, wakeups=services.wakeups,
        ttl=services.settings.playback_url_seconds, review_task_id=review_task_id, now=now,
    )  # fmt: skip
    return review_task_id


def run_procedure(
    session: Session,
    *,
    services: Services,
    media: Media,
    procedure: str,
    priority: int,
    session_id: str,
    session_context: str,
    now: datetime,
) -> str:
    """ProcessMediaByProcedure: start the procedure's review on an existing media; returns the review task id."""
    template = templates.get_procedure(session, app_id=media.app_id, name=procedure)
    if template.review_definition is None:
        return ""
    return start_review(
        session, services=services, media=media, definition=template.review_definition,
        contents=list(template.review_contents), priority=priority, session_id=session_id,
        session_context=session_context, now=now,
    )  # fmt: skip
