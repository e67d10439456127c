"""The audit log: who decided or changed what in an app, and when; recorded in the transaction of the change.

A person is an account name (console), ``key:<SecretId>`` (a key-pair session or an API call), ``app-password``
(the app's shared console password), ``cli`` (a command run on the server), or the ``Operator`` an API caller named.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from vodguard.store.models import AuditEntry as AuditEntry  # re-exported: api/ may not import store/

# The actions written, for the audit page's filter (a prefix such as "decision" matches all of its kind).
ACTIONS = (
    "decision.approve", "decision.block",
    "template.create", "template.modify", "template.delete",
    "procedure.create", "procedure.delete",
    "events.modify", "publishing.modify", "settings.modify",
    "key.create", "key.revoke", "password.set",
    "user.add", "user.remove",
    "media.delete", "media.forbid",
)  # fmt: skip
KINDS = tuple(dict.fromkeys(a.split(".")[0] for a in ACTIONS))
CSV_LIMIT = 100_000  # one export; a longer history is exported a date range at a time


def record(
    session: Session,
    *,
    app_id: int,
    person: str,
    action: str,
    target: str = "",
    detail: str = "",
    now: datetime,
) -> AuditEntry:
    """Add one entry; the caller's transaction commits it with the change it describes."""
    entry = AuditEntry(
        app_id=app_id,
        at=now,
        person=person[:128],
        action=action[:48],
        target=target[:256],
        detail=detail[:512],
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditQuery:
    """A filter: exact person, an action or a kind of action (``decision``), and days from/to (inclusive)."""

    person: str = ""
    action: str = ""
    date_from: datetime | None = None
    date_to: datetime | None = None


def _filtered(app_id: int, query: AuditQuery) -> Select[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.app_id == app_id)
    if query.person:
        stmt = stmt.where(AuditEntry.person == query.person)
    if query.action in KINDS:
        stmt = stmt.where(AuditEntry.action.startswith(query.action + "."))
    elif query.action:
        stmt = stmt.where(AuditEntry.action == query.action)
    if query.date_from is not None:
        stmt = stmt.where(AuditEntry.at >= query.date_from)
    if query.date_to is not None:
        stmt = stmt.where(AuditEntry.at < query.date_to + timedelta(days=1))
    return stmt


def search(
    session: Session, *, app_id: int, query: AuditQuery, offset: int = 0, limit: int = 100
) -> tuple[int, list[AuditEntry]]:
    """How many entries match, and a page of them, newest first."""
    stmt = _filtered(app_id, query)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.scalars(stmt.order_by(AuditEntry.id.desc()).offset(offset).limit(limit))
    return int(total), list(rows)


def people(session: Session, *, app_id: int) -> list[str]:
    """Everyone the log names in this app, for the filter."""
    stmt = select(AuditEntry.person).where(AuditEntry.app_id == app_id).distinct().order_by(AuditEntry.person)
    return list(session.scalars(stmt))


def to_csv(entries: Iterable[AuditEntry]) -> str:
    """The entries as CSV (a header row, times in UTC ISO 8601). Cells that a spreadsheet would run as a formula
    are prefixed with a quote."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time_utc", "person", "action", "target", "detail"])
    for e in entries:
        writer.writerow(
            [
                e.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                *(_cell(v) for v in (e.person, e.action, e.target, e.detail)),
            ]
        )
    return out.getvalue()


def _cell(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export(session: Session, *, app_id: int, query: AuditQuery) -> str:
    stmt = _filtered(app_id, query).order_by(AuditEntry.id.desc()).limit(CSV_LIMIT)
    return to_csv(session.scalars(stmt))
