"""``POST /`` (and ``GET /``): the API 3.0 endpoint. Authenticate, find the action, validate, run, answer.

Every answer is HTTP 200 with ``Content-Type: application/json`` exactly (the SDK ignores errors otherwise) and a
``RequestId``; every failure goes through ``error_answers.wire_error`` into the error envelope.
"""

from __future__ import annotations

import inspect
import json
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from vodguard import ids, logs, metrics
from vodguard.api import auth
from vodguard.api.error_answers import api_error, envelope, wire_error
from vodguard.api.registry import ACTIONS, Ctx, Handler, parse_request
from vodguard.errors import (
    InvalidAction,
    InvalidParameter,
    MissingParameter,
    RequestLimitExceeded,
    RequestSizeLimitExceeded,
    UnauthorizedOperation,
    VodError,
)
from vodguard.services import apps, audit, replay
from vodguard.services.concurrency import SlotsFull
from vodguard.services.container import Services
from vodguard.timeutil import from_unix, utcnow

router = APIRouter()
VERSION = "2018-07-17"


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused past ``limit`` bytes without reading the rest into memory."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise RequestSizeLimitExceeded(f"the request body is {declared} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestSizeLimitExceeded(f"the request body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _a_browser(request: Request) -> bool:
    """A person who typed the server's address: a plain GET that asks for HTML and carries no API call."""
    return (
        request.method == "GET"
        and not request.url.query
        and "text/html" in request.headers.get("accept", "")
        and not request.headers.get("authorization")
        and not request.headers.get("x-tc-action")
    )


@router.api_route("/", methods=["POST", "GET"])
async def api_endpoint(request: Request) -> Response:
    if _a_browser(request):
        return RedirectResponse("/console", status_code=303)
    request_id = ids.request_id()
    logs.request_id.set(request_id)
    services: Services = request.app.state.services
    started = time.perf_counter()
    action_name = request.headers.get("x-tc-action", "")
    try:
        body = await read_body(request, services.settings.max_body_bytes)
        ctx, action_name, params = _authenticate(request, body, services, request_id)
        act = ACTIONS.get(action_name)
        if act is None:
            raise InvalidAction(f"the action {action_name!r} does not exist or is not supported by vodguard")
        limit = getattr(services.settings, act.rate_limit or "request_rate_per_app")
        if not services.limiter.allow(f"{ctx.app_id}:{act.name if act.rate_limit else '*'}", limit):
            raise RequestLimitExceeded(
                f"more than {limit} {act.name} requests per second for SubAppId {ctx.app_id}"
            )
        req = parse_request(act.request_model, params)
        if req.SubAppId not in (None, 0, ctx.app_id):
            raise UnauthorizedOperation(f"SubAppId {req.SubAppId} is not the app of this SecretId")
        try:
            async with services.app_slots.hold(ctx.app_id):  # one app cannot take every thread (audit D5)
                result = await _run(act.handler, ctx, req)
        except SlotsFull as exc:
            raise RequestLimitExceeded(f"{act.name} for SubAppId {ctx.app_id}: {exc}") from None
        payload = result.model_dump() if hasattr(result, "model_dump") else (result or {})
        if act.name in AUDITED:
            await run_in_threadpool(_audit, ctx, act.name, req, payload)
        _observe(act.name, "OK", started)
        return envelope(payload, request_id)
    except Exception as exc:
        error = wire_error(exc, request_id=request_id, where=action_name or "POST /")
        _observe(action_name if action_name in ACTIONS else "unknown", error.wire_code, started)
        return api_error(error, request_id)


# Changes an app makes through the API, for the audit log (decisions are logged where they are taken).
AUDITED = {
    "CreateReviewTemplate": "template.create", "ModifyReviewTemplate": "template.modify",
    "DeleteReviewTemplate": "template.delete", "CreateProcedureTemplate": "procedure.create",
    "DeleteProcedureTemplate": "procedure.delete", "ModifyEventConfig": "events.modify",
    "ModifyAppSettings": "settings.modify", "DeleteMedia": "media.delete", "ForbidMediaDistribution": "media.forbid",
}  # fmt: skip


def _audit(ctx: Ctx, name: str, req: Any, payload: dict[str, Any]) -> None:
    # what was changed: a new template's number, else the template, procedure or media the request named
    fields = [
        payload.get("Definition"),
        *(getattr(req, f, None) for f in ("Definition", "Name", "FileId", "FileIds")),
    ]
    target = next((v for v in fields if v not in (None, "", [])), "")
    with ctx.tx() as s:
        audit.record(
            s, app_id=ctx.app_id, person=ctx.person, action=AUDITED[name], target=str(target), detail=name,
            now=ctx.now,
        )  # fmt: skip


def _observe(action: str, code: str, started: float) -> None:
    metrics.REQUESTS.labels(action=action, code=code).inc()
    metrics.REQUEST_SECONDS.labels(action=action).observe(time.perf_counter() - started)


async def _run(handler: Handler, ctx: Ctx, req: Any) -> Any:
    # Handlers are plain functions that may block (database, files, long polls): keep them off the event loop.
    # An async handler (PullEvents' long poll) waits on the loop instead.
    if inspect.iscoroutinefunction(handler):
        return await handler(ctx, req)
    return await run_in_threadpool(handler, ctx, req)


def _authenticate(request: Request, body: bytes, services: Services, request_id: str) -> tuple[Ctx, str, Any]:
    """Check the signature, then decode the parameters: nothing an unsigned caller sends is parsed beyond a form."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    host = request.headers.get("host", "")
    method = request.method
    authorization = headers.get("authorization", "")
    if authorization:
        signed = auth.parse_tc3(
            method=method,
            host=host,
            headers=headers,
            body=body,
            query=request.url.query,
            authorization=authorization,
        )
        action_name = headers.get("x-tc-action", "")
        version = headers.get("x-tc-version", "")
        language = headers.get("x-tc-language", "zh-CN")
        pairs: list[tuple[str, str]] = []
    else:
        pairs = auth.parse_form(body if method == "POST" else request.url.query.encode())
        signed = auth.parse_legacy(method=method, host=host, params=pairs)
        flat = dict(pairs)
        action_name, version = flat.get("Action", ""), flat.get("Version", "")
        language = flat.get("Language", "zh-CN")
    auth.check_clock(signed.timestamp, time.time(), services.settings.clock_skew_seconds)
    with services.db.transaction() as session:
        app, _ = apps.authenticate_key(
            session, secret_id=signed.secret_id, verify=signed.verify, now=utcnow()
        )
    if not action_name:
        raise MissingParameter("the action is missing (X-TC-Action header)")
    if not version:
        # Version is a required common parameter (the SDK always sends it): refuse rather than guess.
        where = "X-TC-Version header" if authorization else "Version parameter"
        raise MissingParameter(f"Version is missing: send the {where} with {VERSION}")
    if version != VERSION:
        raise VodError(f"version {version!r} is not supported; use {VERSION}", code="NoSuchVersion")
    _remember_signature(services, signed, action_name)
    ctx = Ctx(
        app=app, services=services, request_id=request_id, now=utcnow(), language=language,
        secret_id=signed.secret_id,
    )  # fmt: skip
    return (
        ctx,
        action_name,
        _params(method, body, request.url.query, pairs, signed_by_tc3=bool(authorization)),
    )


def _remember_signature(services: Services, signed: auth.SignedRequest, action_name: str) -> None:
    """Refuse a verified signature used before (audit D11: TC3 does not sign X-TC-Action); one insert per request."""
    skew = services.settings.clock_skew_seconds
    with services.db.transaction() as session:
        replay.remember_signature(
            session,
            secret_id=signed.secret_id,
            signature=signed.signature,
            action=action_name,
            now=from_unix(time.time()),  # sub-second: the repeat grace is a few seconds
            expires_at=from_unix(signed.timestamp + skew + 60),  # a minute for other servers' clocks
        )


_LEGACY_COMMON = frozenset(
    {"Action", "Version", "Timestamp", "Nonce", "SecretId", "SignatureMethod", "Signature"}
    | {"RequestClient", "Language", "Region", "Token"}
)


def _params(
    method: str, body: bytes, query: str, pairs: list[tuple[str, str]], *, signed_by_tc3: bool
) -> Any:
    """The action's parameters, decoded only once the signature has been checked."""
    if not signed_by_tc3:
        return auth.unflatten([(k, v) for k, v in pairs if k not in _LEGACY_COMMON])
    if method == "GET":
        return auth.unflatten(auth.parse_form(query.encode()))
    try:
        return json.loads(body or b"{}")
    except RecursionError:
        raise InvalidParameter("the request body is nested too deeply") from None
    except ValueError:
        raise InvalidParameter("the request body is not valid JSON") from None
