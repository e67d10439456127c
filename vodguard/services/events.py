"""Event notifications: the outbox and its configuration.

``emit`` writes an event in the caller's transaction, so an event exists exactly when the change it reports was
committed. Whether an event is written at all follows the app's configuration (spec §2.6): NewFileUpload and
FileDeleted need their switches ON; ReviewAudioVideoComplete is always written once a mode is usable (PULL, or
PUSH with a NotificationUrl).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from vodguard.store.models import Event, EventConfig

SWITCHED = {"NewFileUpload": "upload_switch", "FileDeleted": "delete_switch"}


def get_config(session: Session, app_id: int) -> EventConfig:
    """The app's event configuration; an app that never set one has PUSH mode with no URL (nothing delivered)."""
    config = session.get(EventConfig, app_id)
    if config is None:
        config = EventConfig(app_id=app_id, mode="PUSH", notification_url="")
    return config


def emit(
    session: Session,
    *,
    app_id: int,
    event_type: str,
    body: dict[str, Any],
    order_key: str = "",
    now: datetime,
) -> Event | None:
    """Record ``body`` (an EventContent without EventHandle) if the app's configuration wants it."""
    config = get_config(session, app_id)
    switch = SWITCHED.get(event_type)
    if switch and getattr(config, switch) != "ON":
        return None
    if config.mode == "PUSH" and not config.notification_url:
        return None
    event = Event(
        app_id=app_id,
        event_type=event_type,
        body={"EventType": event_type, **body},
        order_key=order_key,
        mode=config.mode,
        created_at=now,
        visible_at=now,
    )
    session.add(event)
    session.flush()
    return event
