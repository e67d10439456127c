"""How each HTTP surface answers a failure, fed by one handler of the error tree.

``wire_error(exc)`` is that handler: it turns any exception into a ``VodError``. A ``VodError`` stays as it is; a
validation error (pydantic's, or FastAPI's for typed route parameters) becomes ``MissingParameter``,
``InvalidParameter`` or ``InvalidParameterValue`` naming the field; anything else is a bug, logged once with its
RequestId and answered ``InternalError``. Each surface then renders the error its own way, always with a RequestId:

- ``api_error``: the API 3.0 envelope ``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}``, HTTP 200 (the
  SDK reads errors only from a 200 ``application/json`` answer). ``POST /`` (``api/endpoint.py``); the other routes
  answer their typed parameters' errors with the same body and HTTP 400.
- ``form_error``: ``{"Error": {"Code", "Message"}, "RequestId"}`` with the 4xx status of the code (``POST /upload``).
- ``xml_error``: the COS ``<Error>`` document with its status (the object endpoint, ``api/cos.py``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError

from vodguard.errors import InternalError, InvalidParameter, InvalidParameterValue, MissingParameter, VodError

log = logging.getLogger("vodguard.api")

# Where FastAPI found a route parameter; the field's own name is what the caller knows.
_SOURCES = frozenset({"path", "query", "body", "form", "header", "cookie"})


def wire_error(exc: BaseException, *, request_id: str, where: str = "") -> VodError:
    """The ``VodError`` that answers ``exc``; anything but a validation error or a ``VodError`` is logged here."""
    if isinstance(exc, VodError):
        return exc
    if isinstance(exc, RequestValidationError):
        return validation_error(exc.errors(), located=True)
    if isinstance(exc, ValidationError):
        return validation_error(exc.errors())
    log.error("unhandled error in %s (RequestId %s)", where or "a request", request_id, exc_info=exc)
    return InternalError("internal error; the server log has the details")


def validation_error(errors: Sequence[Mapping[str, Any]], *, located: bool = False) -> VodError:
    """The first of pydantic's ``errors()`` as a wire error naming the field (``Sort.Field``, ``Labels[2]``);
    ``located``: FastAPI's errors, whose locations start with where the parameter was (``path``, ``form``)."""
    if not errors:
        return InvalidParameter("the request is not valid")
    err = errors[0]
    loc = list(err.get("loc", ()))
    if located and len(loc) > 1 and loc[0] in _SOURCES:
        loc = loc[1:]
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".") or "body"
    kind = str(err.get("type", ""))
    if kind == "missing":
        return MissingParameter(f"{field} is required")
    if kind.endswith(("_type", "_parsing")) or kind in ("model_attributes_type", "dict_type", "list_type"):
        return InvalidParameter(f"{field} has the wrong type: {err.get('msg', '')}")
    return InvalidParameterValue(f"{field}: {err.get('msg', '')}")


def envelope(payload: dict[str, Any], request_id: str, *, status: int = 200) -> Response:
    """``{"Response": {...payload, "RequestId"}}`` as ``application/json`` exactly."""
    body = json.dumps({"Response": {**payload, "RequestId": request_id}}, ensure_ascii=False, default=str)
    # backslashreplace: a lone surrogate echoed in a message becomes the JSON escape \udXXX, not a crash.
    return Response(
        content=body.encode("utf-8", "backslashreplace"), status_code=status, media_type="application/json"
    )


def api_error(exc: VodError, request_id: str, *, status: int = 200) -> Response:
    return envelope({"Error": {"Code": exc.wire_code, "Message": exc.message}}, request_id, status=status)


# POST /upload: the status of each code's family; every other error is the caller's (400).
FORM_STATUS = {"AuthFailure": 401, "RequestSizeLimitExceeded": 413, "InternalError": 500}


def form_json(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(
        json.dumps(payload, ensure_ascii=False), status_code=status, media_type="application/json"
    )


def form_error(exc: VodError, request_id: str) -> Response:
    status = FORM_STATUS.get(exc.wire_code.split(".")[0], 400)
    return form_json(
        {"Error": {"Code": exc.wire_code, "Message": exc.message}, "RequestId": request_id}, status
    )


# The object endpoint: COS's own codes and statuses; a vodguard code there is the caller's (400) unless listed.
XML_STATUS = {
    "AccessDenied": 403, "SignatureDoesNotMatch": 403, "InvalidAccessKeyId": 403, "ExpiredToken": 403,
    "InvalidToken": 403, "RequestTimeTooSkewed": 403, "NoSuchUpload": 404, "NoSuchKey": 404, "EntityTooLarge": 400,
    "InvalidPart": 400, "InvalidPartOrder": 400, "MalformedXML": 400, "InvalidArgument": 400, "MethodNotAllowed": 405,
    "MaxMessageLengthExceeded": 400, "InternalError": 500,
}  # fmt: skip


def xml_document(tag: str, fields: dict[str, Any]) -> str:
    """``<tag>`` holding ``fields`` (nested dicts are elements, lists repeat their items), escaped."""

    def render(value: Any) -> str:
        if isinstance(value, dict):
            return "".join(f"<{k}>{render(v)}</{k}>" for k, v in value.items())
        if isinstance(value, list):
            return "".join(render(v) for v in value)
        return escape(str(value))

    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{tag}>{render(fields)}</{tag}>'


def xml_error(code: str, message: str, request_id: str, resource: str) -> Response:
    # The COS SDK reads an error only when Code, Message, Resource and RequestId are all present.
    fields = {
        "Code": code,
        "Message": message,
        "Resource": resource,
        "RequestId": request_id,
        "TraceId": request_id,
    }
    return Response(
        xml_document("Error", fields),
        status_code=XML_STATUS.get(code, 400),
        media_type="application/xml",
        headers={"x-cos-request-id": request_id},
    )
