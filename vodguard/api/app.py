"""The ASGI application factory."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from vodguard import ids
from vodguard.api import actions  # noqa: F401  (registers every action)
from vodguard.api.endpoint import router as api_router
from vodguard.api.error_answers import api_error, wire_error
from vodguard.services.container import Services


def create_app(services: Services) -> FastAPI:
    app = FastAPI(title="vodguard", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.services = services
    app.include_router(api_router)

    from vodguard.api import console, cos, media_http, metrics_http, upload_form
    from vodguard.services import users

    users.prepare()

    app.include_router(media_http.router)
    app.include_router(metrics_http.router)
    app.include_router(upload_form.router)
    app.include_router(console.router)
    # The COS-compatible object endpoint answers requests whose Host names a bucket; it is mounted last as a
    # middleware so that it sees those requests before the API routes.
    app.add_middleware(cos.CosMiddleware, services=services)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        # A typed route parameter (a console form's number, a media URL's app id) the caller got wrong: the API's
        # error body naming the field, with a RequestId, as HTTP 400 (these routes are not the SDK's).
        request_id = ids.request_id()
        error = wire_error(exc, request_id=request_id, where=f"{request.method} {request.url.path}")
        return api_error(error, request_id, status=400)

    return app
