"""The dashboard: uploads, tasks and results over time (an inline SVG plot), queue depth and throughput."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Query
from fastapi.responses import Response

from vodguard.api.console import i18n, views
from vodguard.api.console.auth import ConsoleRoute, SignedIn
from vodguard.api.console.i18n import N_
from vodguard.api.console.plot import Series, Tick, line_chart
from vodguard.services import console_queries
from vodguard.timeutil import utcnow

router = APIRouter(route_class=ConsoleRoute)
# range -> (span, bucket, how console.js writes a bucket's local start: "hour", "day-hour" or "day")
RANGES = {
    "24h": (timedelta(hours=24), timedelta(hours=1), "hour"),
    "7d": (timedelta(days=7), timedelta(hours=6), "day-hour"),
    "30d": (timedelta(days=30), timedelta(days=1), "day"),
}
RANGE_NAMES = {"24h": N_("24 hours"), "7d": N_("7 days"), "30d": N_("30 days")}
UTC_FORMATS = {"hour": "%H:00", "day-hour": "%m-%d %H:00", "day": "%m-%d"}


@router.get("/console/dashboard")
def dashboard(c: SignedIn, shown: str = Query("24h", alias="range")) -> Response:
    shown = shown if shown in RANGES else "24h"
    span, step, kind = RANGES[shown]
    lang = i18n.language_of(c.request)
    gettext = i18n.CATALOGUES[lang].gettext
    now = utcnow()
    # Buckets end at the next whole step so the newest one holds what happened just now.
    end = (
        now.replace(minute=0, second=0) + timedelta(hours=1)
        if step < timedelta(days=1)
        else now.replace(hour=0, minute=0, second=0) + timedelta(days=1)
    )
    with c.tx() as s:
        board = console_queries.dashboard(s, app_id=c.app_id, now=end, span=span, step=step)
    # The axis is written in UTC; console.js rewrites each tick from its data-utc time in the browser's zone.
    ticks = [Tick(b.strftime(UTC_FORMATS[kind]), b, kind) for b in board.buckets]
    series = [("uploads", board.uploads), ("tasks", board.tasks)]
    activity = line_chart(
        [Series(i18n.translate_term(lang, k, "series"), v, f"s-{k}") for k, v in series],
        ticks, title=gettext("Uploads and tasks"),
    )  # fmt: skip
    results = line_chart(
        [Series(i18n.translate_term(lang, k, "series"), v, f"s-{k}") for k, v in board.results.items()],
        ticks, title=gettext("Results of finished tasks"),
    )  # fmt: skip
    return views.render(
        c.request, "dashboard.html", console=c, page="dashboard", board=board, activity=activity,
        results=results, shown=shown, shown_text=gettext(RANGE_NAMES[shown]),
        ranges=[(r, gettext(RANGE_NAMES[r])) for r in RANGES],
    )  # fmt: skip
