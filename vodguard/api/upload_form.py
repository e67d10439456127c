"""``POST /upload``: a plain multipart-form upload for curl users and simple clients.

Authenticate with a client upload signature or with an app key as HTTP Basic auth (``-u SecretId:SecretKey``). The
signature may come as the query parameter ``signature``, the header ``X-Upload-Signature`` or the form field
``signature``; credentials in the header or query are checked before any of the body is read. The body is read
under a byte budget (``VODGUARD_MAX_UPLOAD_BYTES`` plus 1 MiB for the other fields), with or without
Content-Length, and refused with ``RequestSizeLimitExceeded`` (413) at the first byte past it.

Fields: ``file`` (required), ``cover``, ``mediaName``, ``mediaType``, ``procedure``,
``classId``, ``sourceContext``, ``sessionContext``, ``expireTime``, ``tasksPriority``. Values inside a signature
win over form fields. Answers JSON: ``{"FileId", "MediaUrl", "CoverUrl", "ReviewAudioVideoTaskId", "RequestId"}``,
or ``{"Error": {"Code", "Message"}, "RequestId"}`` with a 4xx status (``error_answers.form_error``).
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.types import Message

from vodguard import ids
from vodguard.api.bodylimit import BodyTooLarge, bounded
from vodguard.api.error_answers import form_error, form_json, wire_error
from vodguard.errors import (
    AuthFailure,
    InvalidParameterValue,
    MissingParameter,
    RequestSizeLimitExceeded,
    VodError,
)
from vodguard.services import apps, signatures, uploads
from vodguard.services.apps import App
from vodguard.services.container import Services
from vodguard.timeutil import utcnow

router = APIRouter()
SIGNATURE_HEADER = "x-upload-signature"
FORM_OVERHEAD = 1 << 20  # part headers and the small fields around the file
# Without credentials in the headers or query, the form's 'signature' field must come before any file part, within
# this many bytes: a stranger is refused after reading at most this much, not after the whole upload.
SIGNATURE_FIRST_BYTES = 64 << 10
_PART_HEADER = re.compile(rb"content-disposition:[ \t]*form-data;([^\r\n]*)", re.IGNORECASE)
_PART_NAME = re.compile(rb'\bname="([^"]*)"')


@router.post("/upload")
async def upload(request: Request) -> Response:
    services: Services = request.app.state.services
    request_id = ids.request_id()
    reader = request
    try:
        authorization = request.headers.get("authorization", "")
        signature = request.query_params.get("signature") or request.headers.get(SIGNATURE_HEADER, "")
        authenticated = None
        if signature or authorization.lower().startswith("basic "):
            # Credentials outside the body: refuse a stranger before reading (and spooling) a byte of it.
            authenticated = await run_in_threadpool(
                _authenticate, services, authorization, {"signature": signature}
            )
        try:
            reader = _bounded_reader(request, services)
            if authenticated is None:
                reader = _signature_first(reader)
            form = await reader.form(max_files=2, max_fields=50)
        except VodError:
            raise
        except BodyTooLarge as exc:
            limit = services.settings.max_upload_bytes
            raise RequestSizeLimitExceeded(
                f"the request body is longer than {exc.limit} bytes; the form field 'file' may hold up to "
                f"{limit} bytes (VODGUARD_MAX_UPLOAD_BYTES)"
            ) from None
        except Exception as exc:  # the multipart parser's own errors: malformed body
            raise InvalidParameterValue(f"the body is not a valid multipart form: {exc}") from None
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        media_file = form.get("file")
        cover_file = form.get("cover")
        if not isinstance(media_file, UploadFile):
            raise MissingParameter("the form field 'file' (the media file) is required")
        result = await run_in_threadpool(
            _store, services, authenticated, authorization, fields, media_file,
            cover_file if isinstance(cover_file, UploadFile) else None,
        )  # fmt: skip
        return form_json({**result, "RequestId": request_id})
    except Exception as exc:
        return form_error(wire_error(exc, request_id=request_id, where="POST /upload"), request_id)
    finally:
        await reader.close()  # closes (and so deletes) any file the form parser spooled


def _first_part_verdict(head: bytes) -> bool | None:
    """True when the form's parts so far name 'signature' before any file, False when a file comes first, None
    while neither has been seen."""
    for header in _PART_HEADER.finditer(head):
        params = header.group(1)
        name = _PART_NAME.search(params)
        if name is not None and name.group(1) == b"signature":
            return True
        if b"filename=" in params.lower():
            return False
    return None


def _signature_first(request: Request) -> Request:
    """The request, whose body is refused (``AuthFailure``) as soon as a file part arrives before the 'signature'
    field, or ``SIGNATURE_FIRST_BYTES`` pass without either. curl and the console send fields in order, so a
    signed upload puts its signature first (``-F signature=... -F file=@clip.mp4``)."""
    receive = request.receive
    head = bytearray()
    settled = False

    async def receive_checked() -> Message:
        nonlocal settled
        message = await receive()
        if not settled and message["type"] == "http.request":
            head.extend(message.get("body", b""))
            verdict = _first_part_verdict(bytes(head))
            if verdict is True:
                settled = True
                head.clear()
            elif verdict is False or len(head) > SIGNATURE_FIRST_BYTES:
                raise AuthFailure(
                    "send the client upload signature before the file (the 'signature' form field first), in the "
                    f"{SIGNATURE_HEADER} header or the 'signature' query parameter, or the app key as Basic auth",
                    code="AuthFailure.InvalidAuthorization",
                )
        return message

    return Request(request.scope, receive_checked)


def _bounded_reader(request: Request, services: Services) -> Request:
    """The request, its body under a budget: the upload limit plus room for the fields when it is a multipart
    form, the API body limit otherwise (a urlencoded form is parsed in memory and carries no file anyway)."""
    content_type, _ = parse_options_header(request.headers.get("content-type", ""))
    settings = services.settings
    if content_type == b"multipart/form-data":
        return bounded(request, settings.max_upload_bytes + FORM_OVERHEAD)
    return bounded(request, settings.max_body_bytes)


def _authenticate(
    services: Services, authorization: str, fields: dict[str, str]
) -> tuple[App, dict[str, str]]:
    """The app, and the parameters a signature fixes (empty for key auth)."""
    signature = fields.get("signature", "")
    with services.db.transaction() as s:
        if signature:
            try:
                parsed = signatures.parse_upload_signature(signature)
                app, _ = apps.authenticate_key(
                    s,
                    secret_id=parsed.secret_id,
                    verify=lambda key: signatures.verify(signature, parsed, key),
                    now=utcnow(),
                )
            except signatures.SignatureInvalid as exc:
                raise AuthFailure(f"signature: {exc}", code="AuthFailure.SignatureFailure") from None
            wanted = parsed.params.get("vodSubAppId", "")
            if wanted not in ("", "0", str(app.id)):
                raise AuthFailure(f"vodSubAppId {wanted} is not the app of this signature's key", code="AuthFailure.UnauthorizedOperation")  # fmt: skip
            return app, {
                **parsed.params,
                "_digest": parsed.digest,
                "_one_time": "1" if parsed.one_time else "",
            }
        if authorization.lower().startswith("basic "):
            try:
                secret_id, _, secret_key = base64.b64decode(authorization[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise AuthFailure("the Basic credentials are not valid Base64", code="AuthFailure.InvalidAuthorization") from None  # fmt: skip
            app, _ = apps.authenticate_key(s, secret_id=secret_id, secret_key=secret_key, now=utcnow())
            return app, {}
    raise AuthFailure(
        "send a client upload signature in the 'signature' field, or the app key as Basic auth (-u SecretId:SecretKey)",
        code="AuthFailure.InvalidAuthorization",
    )


def _int(value: str, name: str, default: int = 0) -> int:
    if value in ("", None):
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidParameterValue(
            f"{name} must be an integer, not {value!r}", code=f"InvalidParameterValue.{name}"
        ) from None


def _store(
    services: Services,
    authenticated: tuple[App, dict[str, str]] | None,
    authorization: str,
    fields: dict[str, str],
    media_file: UploadFile,
    cover_file: UploadFile | None,
) -> dict[str, Any]:
    app, signed = authenticated or _authenticate(services, authorization, fields)
    # A signature fixes what the app backend decided; its own expireTime is the signature's, not the media's.
    fixed = ("procedure", "classId", "sourceContext", "sessionContext", "taskPriority")
    merged = {**fields, **{k: signed[k] for k in fixed if k in signed}}
    filename = Path(media_file.filename or "")
    media_type = (merged.get("mediaType") or filename.suffix.lstrip(".")).lower()
    params = uploads.UploadParams(
        media_type=media_type,
        media_name=merged.get("mediaName") or filename.stem or "media",
        cover_type=Path(cover_file.filename or "cover.jpg").suffix.lstrip(".").lower() if cover_file else "",
        procedure=merged.get("procedure", ""),
        expire_time=merged.get("expireTime", ""),
        class_id=_int(merged.get("classId", ""), "ClassId"),
        source_context=merged.get("sourceContext", ""),
        session_context=merged.get("sessionContext", ""),
        task_priority=_int(merged.get("taskPriority", merged.get("tasksPriority", "")), "TasksPriority"),
    )
    result = uploads.upload_files(
        services, app=app, params=params, media=media_file.file,
        cover=cover_file.file if cover_file is not None else None,
        one_time_digest=signed["_digest"] if signed.get("_one_time") else "", now=utcnow(),
    )  # fmt: skip
    return {
        "FileId": result.file_id,
        "MediaUrl": result.media_url,
        "CoverUrl": result.cover_url,
        "ReviewAudioVideoTaskId": result.review_task_id,
    }
