"""``GET /metrics``: the counters of this process (or of every process on the data directory), plus gauges of the
shared state, for Prometheus; and ``GET /healthz`` for load balancers and container health checks."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from vodguard import metrics
from vodguard.services import stats
from vodguard.services.container import Services

router = APIRouter()


@router.get("/metrics")
async def metrics_endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    gauges = await run_in_threadpool(stats.gauges, services)
    # Summing the files of many processes reads the disk: off the event loop too.
    body = await run_in_threadpool(metrics.exposition, gauges)
    return Response(body, media_type=metrics.CONTENT_TYPE)


@router.get("/healthz")
async def healthz(request: Request) -> Response:
    """200 ``{"Status": "ok"}`` when this process answers and reads its database; 503 when the database fails."""
    services: Services = request.app.state.services
    try:
        await run_in_threadpool(stats.ping, services)
    except Exception as exc:  # any database failure: the answer a health check acts on
        return JSONResponse({"Status": f"database unreachable: {type(exc).__name__}"}, status_code=503)
    return JSONResponse({"Status": "ok"})
