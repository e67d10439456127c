"""``GET /metrics``: this process's counters plus gauges of the shared state, for Prometheus."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vodguard import metrics
from vodguard.services import stats
from vodguard.services.container import Services

router = APIRouter()


@router.get("/metrics")
async def metrics_endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    gauges = await run_in_threadpool(stats.gauges, services)
    extra = []
    for name, help_, value in gauges:
        extra += [f"# HELP {name} {help_}", f"# TYPE {name} gauge", f"{name} {value:g}"]
    return Response(metrics.render(extra), media_type="text/plain; version=0.0.4")
