"""What a start of ``vodguard serve`` sets up: the default app, and in it the all-labels review template and the
procedure ``review`` that the README's first upload names (``curl ... -F procedure=review``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from vodguard.errors import InvalidParameter
from vodguard.services import apps, templates
from vodguard.services.apps import KeyPair
from vodguard.store.db import Database
from vodguard.store.models import App, ProcedureTemplate, ReviewTemplate

STARTER_TEMPLATE_NAME = "All labels"
STARTER_PROCEDURE = "review"
_ATTEMPTS = 3  # servers racing on one database: the losers look again


@dataclass(frozen=True)
class StartState:
    """What this start found or made: the default app, its first key pair when it was made now, and what the
    app was given now (empty on a later start that found everything in place)."""

    app_id: int
    first_key: KeyPair | None
    created: tuple[str, ...]


def default_app_id(session: Session) -> int | None:
    """The app the first start made (the lowest SubAppId); None before any start."""
    return session.scalar(select(func.min(App.id)))


def start(db: Database, *, now: datetime) -> StartState:
    """``prepare_start`` in its own transaction. Servers that start together on one database race to make the
    same rows: the loser's transaction fails whole (a unique name or id, or SQLite's busy snapshot) and its one
    retry finds what the winner made. The clash can also surface as the services' own check of a taken name
    (``InvalidParameter``), when the winner commits between the loser's look and its insert."""
    for attempt in range(_ATTEMPTS):
        try:
            with db.transaction() as s:
                return prepare_start(s, now=now)
        except (IntegrityError, OperationalError, InvalidParameter):
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def prepare_start(session: Session, *, now: datetime) -> StartState:
    """Make the default app (and its first key) when there is no app, then make sure it has an all-labels
    template and a procedure named ``review`` that uses it.

    Idempotent: a later start finds both by name and makes nothing. A ``review`` procedure the operator changed
    is left as it is; one the operator deleted comes back at the next start, since the README relies on it.
    Runs in the caller's transaction.
    """
    first_key = None
    app_id = default_app_id(session)
    if app_id is None:
        first_key = apps.create_key(session, name="default", now=now)
        app_id = first_key.sub_app_id
    created: list[str] = []
    if _procedure(session, app_id) is None:
        definition = _all_labels_template(session, app_id)
        if definition is None:
            view = templates.create_review_template(
                session,
                app_id=app_id,
                labels=list(templates.LABELS),
                name=STARTER_TEMPLATE_NAME,
                comment="every label; made by the first start for the procedure 'review'",
                now=now,
            )
            definition = view.definition
            created.append(f"review template {definition} ({STARTER_TEMPLATE_NAME})")
        templates.create_procedure_template(
            session,
            app_id=app_id,
            name=STARTER_PROCEDURE,
            comment=f"moderates every upload that names it with template {definition} (every label)",
            review_definition=definition,
            review_contents=["Media"],
            now=now,
        )
        created.append(f"procedure '{STARTER_PROCEDURE}' (review with template {definition})")
    return StartState(app_id=app_id, first_key=first_key, created=tuple(created))


def _procedure(session: Session, app_id: int) -> ProcedureTemplate | None:
    return session.scalar(
        select(ProcedureTemplate).where(
            ProcedureTemplate.app_id == app_id, ProcedureTemplate.name == STARTER_PROCEDURE
        )
    )


def _all_labels_template(session: Session, app_id: int) -> int | None:
    """An existing template of the app named ``All labels`` that checks every label, so none is made twice."""
    rows = session.scalars(
        select(ReviewTemplate).where(
            ReviewTemplate.app_id == app_id, ReviewTemplate.name == STARTER_TEMPLATE_NAME
        )
    )
    for row in rows:
        if set(row.labels) >= set(templates.LABELS):
            return row.definition
    return None
