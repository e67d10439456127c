"""The bank of known content: its entries, adding a stored media by FileId, removing an entry, the CSV export."""

from __future__ import annotations

from fastapi import APIRouter, Form
from fastapi.responses import Response

from vodguard.api.console import i18n, views
from vodguard.api.console.auth import ConsoleRoute, SignedIn, SignedInPost, redirect
from vodguard.services import known, known_lists, templates, wire

router = APIRouter(route_class=ConsoleRoute)
PAGE = 200


@router.get("/console/known")
def bank(c: SignedIn) -> Response:
    with c.tx() as s:
        rows = [wire.known.known_content(e, n) for e, n in known.list_entries(s, app_id=c.app_id, limit=PAGE)]
        total = known.count_entries(s, app_id=c.app_id)
    return views.render(
        c.request, "known.html", console=c, page="known", rows=rows, total=total, labels=templates.LABELS
    )


@router.post("/console/known/add")
def add(
    c: SignedInPost, file_id: str = Form(...), label: str = Form(...), reason: str = Form("")
) -> Response:
    entry = known.add_media(
        c.services, app_id=c.app_id, file_id=file_id.strip(), label=label, reason=reason.strip(),
        created_by=c.person,
    )  # fmt: skip
    label = i18n.translate_term(i18n.language_of(c.request), entry.label, "label")
    message = i18n.tr(c.request, "Added %(entry)s (%(label)s).") % {"entry": entry.id, "label": label}
    return views.with_flash(c.request, redirect("/console/known"), message, "ok")


@router.post("/console/known/{entry_id}/delete")
def remove(entry_id: str, c: SignedInPost) -> Response:
    with c.tx() as s:
        known.remove_entry(s, app_id=c.app_id, entry_id=entry_id)
    message = i18n.tr(c.request, "Removed %(entry)s.") % {"entry": entry_id}
    return views.with_flash(c.request, redirect("/console/known"), message, "ok")


@router.get("/console/known/export.csv")
def export(c: SignedIn) -> Response:
    with c.tx() as s:
        text = known_lists.export_list(s, app_id=c.app_id)
    return Response(
        text, media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="known-content.csv"', "Cache-Control": "no-store"},
    )  # fmt: skip
