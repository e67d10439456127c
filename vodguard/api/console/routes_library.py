"""The media library: search, browser uploads (through ``POST /upload`` with a one-time signature), starting a
review with a template and priority, and deletion."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Form
from fastapi.responses import JSONResponse, Response

from vodguard.api.console import i18n, views
from vodguard.api.console.auth import AdminPost, ConsoleRoute, Refused, SignedIn, SignedInPost, redirect
from vodguard.api.console.evidence import library_thumb
from vodguard.digits import INT64_MAX, INT64_MIN
from vodguard.errors import InvalidParameterValue
from vodguard.services import audit, console_queries, signatures, tasks, templates
from vodguard.services import media as media_service
from vodguard.timeutil import utcnow

MAX_PAGE = 1_000_000  # a page number far past any library; larger ones would overflow the query's offset
router = APIRouter(route_class=ConsoleRoute)
PAGE = 50
UPLOAD_SIGNATURE_SECONDS = 900


@router.get("/console/library")
def library(
    c: SignedIn,
    q: str = "",
    file_id: str = "",
    suggestion: str = "",
    label: str = "",
    date_from: str = "",
    date_to: str = "",
    page: int = 1,
) -> Response:
    page = min(max(page, 1), MAX_PAGE)
    gettext, lang = i18n.gettext_for(c.request), i18n.language_of(c.request)
    error = ""
    try:
        search = console_queries.MediaSearch(
            name=q.strip(), file_id=file_id.strip(), suggestion=suggestion, label=label,
            created_from=views.form_day(date_from, gettext("From"), gettext),
            created_to=(d + timedelta(days=1)) if (d := views.form_day(date_to, gettext("To"), gettext)) else None,
            offset=(page - 1) * PAGE, limit=PAGE,
        )  # fmt: skip
        if label and label not in templates.LABELS:
            raise InvalidParameterValue(
                gettext("Label %(label)r is not one of %(labels)s.")
                % {"label": label, "labels": i18n.translate_term(lang, ", ".join(templates.LABELS), "label")}
            )
    except InvalidParameterValue as exc:
        search, error = console_queries.MediaSearch(limit=PAGE), exc.message
    with c.tx() as s:
        total, rows = console_queries.search_media(s, app_id=c.app_id, search=search)
        latest = console_queries.latest_tasks(s, app_id=c.app_id, file_ids=[m.file_id for m in rows])
        pending = console_queries.pending_file_ids(s, app_id=c.app_id, file_ids=[m.file_id for m in rows])
        _, choices = templates.describe_review_templates(
            s, app_id=c.app_id, definitions=None, type_=None, offset=0, limit=100
        )
        _, procedures = templates.describe_procedure_templates(
            s, app_id=c.app_id, names=None, type_=None, offset=0, limit=100
        )
        has_key = console_queries.live_key(s, app_id=c.app_id) is not None
        thumbs = {m.file_id: library_thumb(m, latest.get(m.file_id)) for m in rows}
    filters = {"q": q, "file_id": file_id, "suggestion": suggestion, "label": label,
               "date_from": date_from, "date_to": date_to}  # fmt: skip
    return views.render(
        c.request, "library.html", console=c, page="library", rows=rows, latest=latest, total=total,
        pages=max(1, -(-total // PAGE)), current=page, filters=filters, error=error, templates=choices,
        procedures=procedures, labels=templates.LABELS, suggestions=console_queries.SUGGESTIONS, has_key=has_key,
        thumbs=thumbs, pending=pending,
    )  # fmt: skip


@router.post("/console/library/upload-signature")
def upload_signature(c: SignedInPost, procedure: str = Form("")) -> Response:
    """A short, one-time client upload signature for ``POST /upload``, made with one of the app's live keys."""
    with c.tx() as s:
        key = console_queries.live_key(s, app_id=c.app_id)
        if procedure:
            templates.get_procedure(s, app_id=c.app_id, name=procedure)
    if key is None:
        gettext = i18n.gettext_for(c.request)
        raise Refused(
            409, gettext("This app has no live key to sign uploads with. Create one under Settings → Keys.")
        )
    signature = signatures.sign_upload(
        key.secret_id, key.secret_key, ttl=UPLOAD_SIGNATURE_SECONDS, one_time=True, sub_app_id=c.app_id,
        procedure=procedure or None,
    )  # fmt: skip
    return JSONResponse({"signature": signature}, headers={"Cache-Control": "no-store"})


@router.post("/console/media/{file_id}/review")
def start_review(
    file_id: str,
    c: SignedInPost,
    definition: int = Form(templates.PRESET_DEFINITION, ge=0, le=INT64_MAX),
    priority: int = Form(0, ge=INT64_MIN, le=INT64_MAX),
    cover: str = Form(""),
) -> Response:
    with c.tx() as s:
        media = media_service.get_media(s, app_id=c.app_id, file_id=file_id)
        contents = ["Media", "Cover"] if cover and media.cover_blob_key else ["Media"]
        task_id = tasks.start_review(
            s, services=c.services, media=media, definition=definition, contents=contents,
            priority=priority, now=utcnow(),
        )  # fmt: skip
    return views.with_flash(
        c.request,
        redirect(f"/console/tasks?file_id={file_id}"),
        i18n.tr(c.request, "Review started: %(task_id)s.") % {"task_id": task_id},
        "ok",
    )


@router.post("/console/media/{file_id}/delete")
def delete(file_id: str, c: AdminPost) -> Response:
    with c.tx() as s:
        media = media_service.delete_media(
            s, c.services.blobs, c.services.wakeups, app_id=c.app_id, file_id=file_id, now=utcnow()
        )
        name = media.name or file_id
        audit.record(
            s,
            app_id=c.app_id,
            person=c.person,
            action="media.delete",
            target=file_id,
            detail=name,
            now=utcnow(),
        )
    message = i18n.tr(c.request, "Deleted %(name)s.") % {"name": name}
    return views.with_flash(c.request, redirect("/console/library"), message, "ok")
