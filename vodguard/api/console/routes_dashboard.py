"""The dashboard: uploads, tasks and results over time (an inline SVG plot), queue depth and throughput."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Query
from fastapi.responses import Response

from vodguard.api.console import views
from vodguard.api.console.auth import ConsoleRoute, SignedIn
from vodguard.api.console.plot import Series, line_chart
from vodguard.services import console_queries
from vodguard.timeutil import utcnow

router = APIRouter(route_class=ConsoleRoute)
# range -> (span, bucket, label format)
RANGES = {
    "24h": (timedelta(hours=24), timedelta(hours=1), "%H:00"),
    "7d": (timedelta(days=7), timedelta(hours=6), "%m-%d %H"),
    "30d": (timedelta(days=30), timedelta(days=1), "%m-%d"),
}


@router.get("/console/dashboard")
def dashboard(c: SignedIn, shown: str = Query("24h", alias="range")) -> Response:
    shown = shown if shown in RANGES else "24h"
    span, step, fmt = RANGES[shown]
    now = utcnow()
    # Buckets end at the next whole step so the newest one holds what happened just now.
    end = (
        now.replace(minute=0, second=0) + timedelta(hours=1)
        if step < timedelta(days=1)
        else now.replace(hour=0, minute=0, second=0) + timedelta(days=1)
    )
    with c.tx() as s:
        board = console_queries.dashboard(s, app_id=c.app_id, now=end, span=span, step=step)
    labels = [b.strftime(fmt) for b in board.buckets]
    activity = line_chart(
        [Series("uploads", board.uploads, "s-uploads"), Series("tasks", board.tasks, "s-tasks")],
        labels, title="Uploads and tasks",
    )  # fmt: skip
    results = line_chart(
        [Series(k, v, f"s-{k}") for k, v in board.results.items()], labels, title="Results of finished tasks"
    )
    return views.render(
        c.request, "dashboard.html", console=c, page="dashboard", board=board, activity=activity,
        results=results, shown=shown, ranges=list(RANGES),
    )  # fmt: skip
