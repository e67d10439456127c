"""The review queue (with tab counts and bulk decisions), the evidence page of one media, approve/block, and the
session-checked media files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vodguard.api.console import i18n, views
from vodguard.api.console.auth import Console, ConsoleRoute, Refused, SignedIn, SignedInPost, redirect
from vodguard.api.console.evidence import build_evidence, queue_row
from vodguard.api.media_http import ranged
from vodguard.errors import InvalidParameterValue, ResourceNotFound, VodError
from vodguard.services import console_queries, decisions, known_banking, tasks, templates
from vodguard.services import media as media_service
from vodguard.services.tasks import TaskQuery, list_tasks
from vodguard.timeutil import utcnow

router = APIRouter(route_class=ConsoleRoute)
QUEUE_PAGE = 100


def _show(value: str) -> str:
    return value if value in console_queries.QUEUE_FILTERS else "review"


@router.get("/console/queue")
def queue(c: SignedIn, show: str = "review") -> Response:
    show = _show(show)
    with c.tx() as s:
        rows = console_queries.review_queue(s, app_id=c.app_id, which=show, limit=QUEUE_PAGE)
        latest = console_queries.latest_tasks(s, app_id=c.app_id, file_ids=[m.file_id for m in rows])
        total, labels = console_queries.queue_counts(s, app_id=c.app_id, which=show)
        items = [queue_row(m, latest.get(m.file_id)) for m in rows]
        counts = console_queries.tab_counts(s, app_id=c.app_id)
    return views.render(c.request, "queue.html", console=c, page="queue", items=items, total=total,
                        labels=labels, show=show, counts=counts)  # fmt: skip


@router.get("/console/media/{file_id}")
def evidence_page(file_id: str, c: SignedIn, show: str = "review") -> Response:
    show = _show(show)
    now = utcnow()
    with c.tx() as s:
        media = media_service.get_media(s, app_id=c.app_id, file_id=file_id)
        task = console_queries.latest_tasks(s, app_id=c.app_id, file_ids=[file_id]).get(file_id)
        segments = console_queries.full_segments(c.services.blobs, task) if task is not None else []
        reasons = console_queries.segment_reasons(c.services.blobs, task) if task is not None else []
        template = None
        if task is not None:
            try:
                template = templates.get_review_template(s, app_id=c.app_id, definition=task.definition)
            except VodError:
                template = None  # deleted since; the page shows the number
        recent, _ = list_tasks(s, app_id=c.app_id, query=TaskQuery(file_id=file_id, limit=5), now=now)
        history = decisions.history(s, app_id=c.app_id, file_id=file_id, offset=0, limit=20)
        prev_id, next_id = console_queries.queue_neighbours(s, app_id=c.app_id, file_id=file_id, which=show)
        _, choices = templates.describe_review_templates(
            s, app_id=c.app_id, definitions=None, type_=None, offset=0, limit=100
        )
        evidence = build_evidence(media, task, segments, reasons)
    return views.render(
        c.request, "evidence.html", console=c, page="queue", media=media, task=task, evidence=evidence,
        template=template, recent=recent, history=history, prev_id=prev_id, next_id=next_id, show=show,
        templates=choices,
    )  # fmt: skip


@router.post("/console/media/{file_id}/decision")
def decide(
    file_id: str,
    c: SignedInPost,
    decision: str = Form(...),
    reason: str = Form(""),
    show: str = Form("review"),
) -> Response:
    show = _show(show)
    with c.tx() as s:
        _, next_id = console_queries.queue_neighbours(s, app_id=c.app_id, file_id=file_id, which=show)
        row = decisions.decide(
            s, app_id=c.app_id, file_id=file_id, decision=decision, reason=reason.strip(),
            operator=c.person, now=utcnow(),
        )  # fmt: skip
        known_banking.record(s, row, now=row.created_at)  # a block's frames go into the bank; an approve: out
        name = media_service.get_media(s, app_id=c.app_id, file_id=file_id).name or file_id
    known_banking.nudge(c.services)
    gettext = i18n.gettext_for(c.request)
    if row.decision == "approve":
        done = gettext("Approved (published): %(name)s.") % {"name": name}
    else:
        done = gettext("Blocked (forbidden): %(name)s.") % {"name": name}
    target = (
        f"/console/media/{next_id}?show={show}"
        if next_id and next_id != file_id
        else f"/console/queue?show={show}"
    )
    return views.with_flash(c.request, redirect(target), done, "ok")


@router.post("/console/queue/decision")
def decide_many(
    c: SignedInPost,
    decision: str = Form(...),
    reason: str = Form(""),
    show: str = Form("review"),
    file_id: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """The same decision on every ticked media of the queue, all or none (one transaction)."""
    show = _show(show)
    gettext = i18n.gettext_for(c.request)
    chosen = list(dict.fromkeys(f.strip() for f in file_id or [] if f.strip()))
    if not chosen:
        raise InvalidParameterValue(
            gettext("Tick at least one media in the queue first."), code="MissingParameter.FileId"
        )
    if len(chosen) > QUEUE_PAGE:
        raise InvalidParameterValue(
            gettext("At most %(count)d media can be decided at once.") % {"count": QUEUE_PAGE},
            code="InvalidParameterValue.FileId",
        )
    with c.tx() as s:
        for one in chosen:
            row = decisions.decide(
                s, app_id=c.app_id, file_id=one, decision=decision, reason=reason.strip(), operator=c.person,
                now=utcnow(),
            )  # fmt: skip
            known_banking.record(s, row, now=row.created_at)
    known_banking.nudge(c.services)
    if decision == "approve":
        message = gettext("Approved (published): %(count)d media.") % {"count": len(chosen)}
    else:
        message = gettext("Blocked (forbidden): %(count)d media.") % {"count": len(chosen)}
    return views.with_flash(c.request, redirect(f"/console/queue?show={show}"), message, "ok")


def _media_key(c: Console, file_id: str, part: str) -> str:
    with c.tx() as s:
        media = media_service.get_media(s, app_id=c.app_id, file_id=file_id)
        key = media.blob_key if part == "file" else media.cover_blob_key
    if not key:
        raise ResourceNotFound(i18n.tr(c.request, "This media has no cover."))
    return key


@router.api_route("/console/media/{file_id}/{part}", methods=["GET", "HEAD"])
async def media_file(request: Request, file_id: str, part: str, c: SignedIn) -> Response:
    """The original (or cover) for moderators: served whatever its publishing state, to this app's session only."""
    if part not in ("file", "cover"):
        raise Refused(404, i18n.tr(request, "No such media part."))
    key = await run_in_threadpool(_media_key, c, file_id, part)
    response = await ranged(request, c.services, key)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _evidence_key(c: Console, task_id: str, name: str) -> str:
    with c.tx() as s:
        if tasks.find_task(s, app_id=c.app_id, task_id=task_id) is None:
            raise ResourceNotFound(
                i18n.tr(c.request, "Task %(task_id)s does not exist.") % {"task_id": task_id}
            )
    if "/" in name or "\\" in name or name.startswith("."):
        raise ResourceNotFound(i18n.tr(c.request, "No such evidence file."))
    return f"evidence/{c.app_id}/{task_id}/{name}"


@router.get("/console/evidence/{task_id}/{name}")
async def evidence_file(request: Request, task_id: str, name: str, c: SignedIn) -> Response:
    key = await run_in_threadpool(_evidence_key, c, task_id, name)
    response = await ranged(request, c.services, key)
    response.headers["Cache-Control"] = "private, max-age=600"
    return response
