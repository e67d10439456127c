"""The ASGI application factory."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from vodguard.api import actions  # noqa: F401  (registers every action)
from vodguard.api.transport import router as api_router
from vodguard.services.container import Services


def create_app(services: Services) -> FastAPI:
    app = FastAPI(title="vodguard", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.services = services
    app.include_router(api_router)

    from vodguard.api import console, cos, media_http, metrics_http, upload_form

    app.include_router(media_http.router)
    app.include_router(metrics_http.router)
    app.include_router(upload_form.router)
    app.include_router(console.router)
    # The COS-compatible object endpoint answers requests whose Host names a bucket; it is mounted last as a
    # middleware so that it sees those requests before the API routes.
    app.add_middleware(cos.CosMiddleware, services=services)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"Error": {"Code": "InvalidParameter", "Message": str(exc.errors()[0]["msg"])}}, 400
        )

    return app
