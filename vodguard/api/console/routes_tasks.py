"""The tasks list: status and FileId filters, progress of running tasks, errors in plain words."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from vodguard.api.console import i18n, views
from vodguard.api.console.auth import ConsoleRoute, SignedIn
from vodguard.api.console.i18n import N_
from vodguard.services import console_queries
from vodguard.services.tasks import TaskQuery, list_tasks
from vodguard.timeutil import utcnow

router = APIRouter(route_class=ConsoleRoute)
STATUSES = ("WAITING", "PROCESSING", "FINISH", "ABORTED")
# What an ErrCodeExt means for a person reading the list.
ERRORS = {
    "SourceFileError": N_(
        "The file could not be read as media (damaged, unsupported, or deleted before the review)."
    ),
    "InternalError": N_("The moderation engine failed on every attempt; the server log has the details."),
}


@router.get("/console/tasks")
def tasks_page(c: SignedIn, status: str = "", file_id: str = "", token: str = "") -> Response:
    status = status if status in STATUSES else ""
    query = TaskQuery(status=status or None, file_id=file_id.strip() or None, limit=50, scroll_token=token)
    with c.tx() as s:
        rows, next_token = list_tasks(s, app_id=c.app_id, query=query, now=utcnow())
        names = console_queries.media_names(s, app_id=c.app_id, file_ids=[t.file_id for t in rows])
    running = any(t.status in ("WAITING", "PROCESSING") for t in rows)
    gettext = i18n.gettext_for(c.request)
    errors = {code: gettext(text) for code, text in ERRORS.items()}
    return views.render(
        c.request, "tasks.html", console=c, page="tasks", rows=rows, names=names, status_filter=status,
        file_id=file_id, next_token=next_token, statuses=STATUSES, errors=errors, running=running,
    )  # fmt: skip
