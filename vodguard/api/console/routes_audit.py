"""The audit log page (admins only): every decision and change, filtered by person, action and days, and the
same selection as a CSV file."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import Response

from vodguard.api.console import i18n, views
from vodguard.api.console.auth import Admin, ConsoleRoute
from vodguard.errors import InvalidParameterValue
from vodguard.services import audit

router = APIRouter(route_class=ConsoleRoute)
PAGE = 100
MAX_PAGE = 100_000


def _query(
    gettext: Callable[[str], str], person: str, action: str, date_from: str, date_to: str
) -> audit.AuditQuery:
    if action and action not in audit.ACTIONS and action not in audit.KINDS:
        message = gettext("Action %(action)r is not one the log records.")
        raise InvalidParameterValue(message % {"action": action})
    return audit.AuditQuery(
        person=person.strip(),
        action=action,
        date_from=views.form_day(date_from, gettext("From"), gettext),
        date_to=views.form_day(date_to, gettext("To"), gettext),
    )


@router.get("/console/audit")
def audit_page(
    c: Admin,
    person: str = "",
    action: str = "",
    date_from: str = "",
    date_to: str = "",
    page: int = Query(1, ge=1, le=MAX_PAGE),
) -> Response:
    query = _query(i18n.gettext_for(c.request), person, action, date_from, date_to)
    with c.tx() as s:
        total, entries = audit.search(s, app_id=c.app_id, query=query, offset=(page - 1) * PAGE, limit=PAGE)
        people = audit.people(s, app_id=c.app_id)
    filters = {"person": person, "action": action, "date_from": date_from, "date_to": date_to}
    return views.render(
        c.request, "audit.html", console=c, page="audit", entries=entries, total=total, people=people,
        actions=audit.ACTIONS, kinds=audit.KINDS, filters=filters, current=page, pages=max(1, -(-total // PAGE)),
        csv_url="/console/audit.csv?" + urlencode({k: v for k, v in filters.items() if v}),
    )  # fmt: skip


@router.get("/console/audit.csv")
def audit_csv(
    c: Admin, person: str = "", action: str = "", date_from: str = "", date_to: str = ""
) -> Response:
    query = _query(i18n.gettext_for(c.request), person, action, date_from, date_to)
    with c.tx() as s:
        body = audit.export(s, app_id=c.app_id, query=query)
    headers = {
        "Content-Disposition": f'attachment; filename="vodguard-audit-{c.app_id}.csv"',
        **{k: v for k, v in views.SECURITY_HEADERS.items()},
    }
    return Response(body.encode("utf-8-sig"), media_type="text/csv; charset=utf-8", headers=headers)
