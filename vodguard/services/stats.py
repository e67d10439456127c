"""Numbers about the shared state (queue depth, work in progress, events waiting), for /metrics."""

from __future__ import annotations

from sqlalchemy import func, select

from vodguard.services.container import Services
from vodguard.store.models import Event, Task


def ping(services: Services) -> None:
    """One trivial query: raises when the database cannot be reached."""
    with services.db.transaction() as s:
        s.execute(select(1))


def gauges(services: Services) -> list[tuple[str, str, float]]:
    with services.db.transaction() as s:
        by_status = dict(s.execute(select(Task.status, func.count()).group_by(Task.status)).all())
        pending = s.scalar(select(func.count()).select_from(Event).where(Event.done_at.is_(None))) or 0
    return [
        (
            "vodguard_tasks_waiting",
            "tasks waiting for a worker (queue depth)",
            float(by_status.get("WAITING", 0)),
        ),
        ("vodguard_tasks_processing", "tasks a worker holds", float(by_status.get("PROCESSING", 0))),
        ("vodguard_events_pending", "events not yet confirmed or delivered", float(pending)),
    ]
