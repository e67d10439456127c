"""The COS-compatible object endpoint that ApplyUpload points clients at (spec §4.2).

Requests whose Host names a bucket (``<bucket>.cos.<region>.myqcloud.com``, as ``cos-python-sdk-v5`` sends with
``CosConfig(IP=..., Port=...)``) land here: PUT object, and multipart (list uploads, initiate, upload part, list
parts, complete, abort). Each request must carry a ``q-sign-algorithm=sha1`` signature made with the temporary
credential of an open upload session, and may touch only that session's media and cover objects.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from vodguard import ids
from vodguard.api.bodylimit import BodyTooLarge, bounded
from vodguard.api.error_answers import wire_error, xml_document, xml_error
from vodguard.digits import parse_digits
from vodguard.errors import VodError
from vodguard.services import staging
from vodguard.services.container import Services
from vodguard.services.staging import UploadSession
from vodguard.timeutil import utcnow

BUCKET_HOST = re.compile(
    r"^(?P<bucket>[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9])\.cos\.(?P<region>[A-Za-z0-9.\-]+?)\.myqcloud\.com(:\d+)?$"
)
# Every body but a PUT's is read whole; the largest real one, a CompleteMultipartUpload list of 10,000 parts, is
# under 1 MiB (about 80 bytes a part).
XML_BODY_LIMIT = 2 << 20


class CosError(Exception):
    """A failure in COS's own terms (``NoSuchUpload``, ``MalformedXML``): answered as it is, by ``xml_error``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _enc(value: str) -> str:
    return quote(value.encode(), safe="-_.~")


def verify_signature(request: Request, object_path: str, secret_key: str, auth: dict[str, str]) -> None:
    """Recompute ``q-signature`` exactly as the COS SDK does (cos_auth.CosS3Auth)."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    header_names = [h for h in auth.get("q-header-list", "").split(";") if h]
    param_names = [p for p in auth.get("q-url-param-list", "").split(";") if p]
    query = {k.lower(): v for k, v in parse_qsl(request.url.query, keep_blank_values=True)}
    params = "&".join(f"{_enc(n)}={_enc(query.get(n, ''))}" for n in sorted(param_names))
    signed_headers = "&".join(f"{_enc(n)}={_enc(headers.get(n, ''))}" for n in sorted(header_names))
    format_str = f"{request.method.lower()}\n{object_path}\n{params}\n{signed_headers}\n"
    to_sign = f"sha1\n{auth['q-sign-time']}\n{hashlib.sha1(format_str.encode()).hexdigest()}\n"
    sign_key = hmac.new(secret_key.encode(), auth["q-key-time"].encode(), hashlib.sha1).hexdigest()
    expected = hmac.new(sign_key.encode(), to_sign.encode(), hashlib.sha1).hexdigest()
    if not hmac.compare_digest(expected, auth.get("q-signature", "")):
        raise CosError(
            "SignatureDoesNotMatch", "the request signature does not match the temporary credential"
        )


def parse_authorization(value: str) -> dict[str, str]:
    auth = dict(parse_qsl(value, keep_blank_values=True))
    for name in ("q-sign-algorithm", "q-ak", "q-sign-time", "q-key-time", "q-signature"):
        if name not in auth:
            raise CosError("AccessDenied", f"the Authorization header lacks {name}")
    if auth["q-sign-algorithm"] != "sha1":
        raise CosError("AccessDenied", "only q-sign-algorithm=sha1 is supported")
    try:
        start, end = (int(x) for x in auth["q-sign-time"].split(";"))
    except ValueError:
        raise CosError("AccessDenied", "q-sign-time must be '<start>;<end>'") from None
    if not start - 300 <= time.time() <= end:
        raise CosError("RequestTimeTooSkewed", "the signature is not valid at this time")
    return auth


class CosMiddleware:
    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            match = BUCKET_HOST.match(host)
            if match:
                request = Request(scope, receive)
                response = await self.handle(request, match["bucket"])
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def handle(self, request: Request, bucket: str) -> Response:
        request_id = ids.request_id()
        tmp: Path | None = None
        try:
            object_key = unquote(request.url.path).lstrip("/")
            auth = parse_authorization(request.headers.get("authorization", ""))
            row = await run_in_threadpool(self._session, auth["q-ak"])
            if row.bucket != bucket:
                raise CosError("AccessDenied", f"the credential is not valid for bucket {bucket}")
            if request.headers.get("x-cos-security-token", "") != row.temp_token:
                raise CosError("InvalidToken", "x-cos-security-token does not match the temporary credential")
            verify_signature(request, "/" + object_key, row.temp_secret_key, auth)
            query = dict(parse_qsl(request.url.query, keep_blank_values=True))
            if object_key and not staging.object_allowed(row, object_key):
                raise CosError("AccessDenied", f"the temporary credential does not cover /{object_key}")
            if request.method == "PUT" and object_key:
                tmp, size, md5 = await self._receive(request)
                if "uploadId" in query:
                    return await run_in_threadpool(
                        self._upload_part, row, object_key, query, tmp, size, md5, request_id
                    )
                return await run_in_threadpool(self._put_object, row, object_key, tmp, size, md5, request_id)
            try:
                body = await bounded(request, XML_BODY_LIMIT).body()
            except BodyTooLarge:
                raise CosError(
                    "MaxMessageLengthExceeded",
                    f"the request body (the CompleteMultipartUpload part list) is over {XML_BODY_LIMIT} bytes",
                ) from None
            result = await run_in_threadpool(self._dispatch, request.method, row, object_key, query, body)
            return Response(result, media_type="application/xml", headers={"x-cos-request-id": request_id})
        except CosError as exc:
            return xml_error(exc.code, exc.message, request_id, request.url.path)
        except Exception as exc:
            error = wire_error(
                exc, request_id=request_id, where=f"{request.method} object {request.url.path}"
            )
            return xml_error(error.wire_code, error.message, request_id, request.url.path)
        finally:
            if tmp is not None:
                tmp.unlink(missing_ok=True)

    def _session(self, temp_id: str) -> UploadSession:
        with self.services.db.transaction() as s:
            try:
                return staging.session_for_credential(s, temp_id, now=utcnow())
            except VodError as exc:
                raise CosError(exc.wire_code, exc.message) from None

    async def _receive(self, request: Request) -> tuple[Path, int, str]:
        limit = self.services.settings.max_upload_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise CosError("EntityTooLarge", f"the object is larger than the limit of {limit} bytes")
        tmp = self.services.blobs.temp_file()
        md5, size = hashlib.md5(), 0
        try:
            with tmp.open("wb") as out:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise CosError(
                            "EntityTooLarge", f"the object is larger than the limit of {limit} bytes"
                        )
                    md5.update(chunk)
                    out.write(chunk)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, size, md5.hexdigest()

    def _put_object(
        self, row: UploadSession, key: str, tmp: Path, size: int, md5: str, request_id: str
    ) -> Response:
        self.services.blobs.adopt(staging.staging_key(row, key), tmp)
        with self.services.db.transaction() as s:
            staging.record_staged(s, row, object_key=key, size=size, etag=md5, now=utcnow())
        return Response(b"", headers={"ETag": f'"{md5}"', "x-cos-request-id": request_id})

    def _upload_part(
        self,
        row: UploadSession,
        key: str,
        query: dict[str, str],
        tmp: Path,
        size: int,
        md5: str,
        request_id: str,
    ) -> Response:
        number = parse_digits(query.get("partNumber", ""), max_digits=5)
        if number is None or not 1 <= number <= 10000:
            raise CosError("InvalidArgument", "partNumber must be 1..10000")
        with self.services.db.transaction() as s:
            upload = staging.get_multipart(s, row, query["uploadId"], key)
            limit = self.services.settings.max_upload_bytes
            staging.check_multipart_total(s, upload, number=number, size=size, limit=limit)
            self.services.blobs.adopt(staging.part_key(upload, number), tmp)
            staging.record_part(s, upload, number=number, size=size, etag=md5, now=utcnow())
        return Response(b"", headers={"ETag": f'"{md5}"', "x-cos-request-id": request_id})

    def _dispatch(self, method: str, row: UploadSession, key: str, query: dict[str, str], body: bytes) -> str:
        now = utcnow()
        blobs = self.services.blobs
        with self.services.db.transaction() as s:
            if method == "GET" and not key and "uploads" in query:
                prefix = query.get("prefix", "")
                items = [
                    {"Upload": {"Key": u.object_key, "UploadId": u.upload_id, "StorageClass": "STANDARD",
                                "Initiated": u.created_at.isoformat() + "Z"}}
                    for u in staging.list_uploads(s, row, prefix)
                ]  # fmt: skip
                return xml_document("ListMultipartUploadsResult", {"Bucket": row.bucket, "Prefix": prefix, "IsTruncated": "false", "Uploads": items})  # fmt: skip
            if method == "POST" and key and "uploads" in query:
                upload_id = staging.initiate_multipart(s, row, object_key=key, now=now)
                return xml_document(
                    "InitiateMultipartUploadResult", {"Bucket": row.bucket, "Key": key, "UploadId": upload_id}
                )
            if key and "uploadId" in query:
                upload = staging.get_multipart(s, row, query["uploadId"], key)
                if method == "GET":
                    parts = [
                        {"Part": {"PartNumber": p.part_number, "ETag": f'"{p.etag}"', "Size": p.size,
                                  "LastModified": p.created_at.isoformat() + "Z"}}
                        for p in staging.list_parts(s, upload)
                    ]  # fmt: skip
                    return xml_document("ListPartsResult", {"Bucket": row.bucket, "Key": key, "UploadId": upload.upload_id, "IsTruncated": "false", "Parts": parts})  # fmt: skip
                if method == "POST":
                    etag = staging.complete_multipart(
                        s, blobs, row, upload, _parse_complete(body),
                        limit=self.services.settings.max_upload_bytes, now=now,
                    )  # fmt: skip
                    return xml_document("CompleteMultipartUploadResult", {"Location": f"{row.bucket}/{key}", "Bucket": row.bucket, "Key": key, "ETag": f'"{etag}"'})  # fmt: skip
                if method == "DELETE":
                    staging.abort_multipart(s, blobs, upload)
                    return ""
        raise CosError(
            "MethodNotAllowed", f"{method} with these parameters is not supported by this endpoint"
        )


def _parse_complete(body: bytes) -> list[tuple[int, str]]:
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise CosError("MalformedXML", "the CompleteMultipartUpload body is not XML") from None
    parts = []
    for part in root.iter():
        if part.tag.rsplit("}", 1)[-1] != "Part":
            continue
        fields = {child.tag.rsplit("}", 1)[-1]: (child.text or "") for child in part}
        number = parse_digits(fields.get("PartNumber", ""))
        if number is None:
            raise CosError("MalformedXML", "each Part needs a PartNumber (ASCII digits)")
        parts.append((number, fields.get("ETag", "")))
    return parts
