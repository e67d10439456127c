"""Serving media, covers and evidence: signed expiring URLs, HTTP Range, 403 for forbidden or unpublished media."""

from __future__ import annotations

import mimetypes
import re

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from vodguard.errors import FailedOperation, ResourceNotFound
from vodguard.services import media as media_service
from vodguard.services.container import Services

router = APIRouter()
_RANGE = re.compile(r"bytes=([0-9]*)-([0-9]*)")  # ASCII digits: \d also matches "²", which int() refuses
_HUGE = 10**18  # stands for any position with more digits: past the end of every file


def _plain(status: int, text: str) -> Response:
    return Response(text + "\n", status_code=status, media_type="text/plain")


def _servable(services: Services, app_id: int, file_id: str, path: str) -> str:
    with services.db.transaction() as s:
        return media_service.get_servable(s, app_id=app_id, file_id=file_id, path=path)


@router.api_route("/media/{app_id}/{file_id}/{name}", methods=["GET", "HEAD"])
async def serve_media(request: Request, app_id: int, file_id: str, name: str) -> Response:
    services: Services = request.app.state.services
    q = request.query_params
    path = request.url.path
    if not services.urls.check(path, q.get("t", ""), q.get("us", ""), q.get("sign", "")):
        return _plain(403, "the URL signature is missing, wrong or expired")
    try:
        key = await run_in_threadpool(_servable, services, app_id, file_id, path)
    except ResourceNotFound as exc:
        return _plain(404, exc.message)
    except FailedOperation as exc:
        return _plain(403, exc.message)
    return await ranged(request, services, key)


@router.api_route("/evidence/{app_id}/{task_id}/{name}", methods=["GET", "HEAD"])
async def serve_evidence(request: Request, app_id: int, task_id: str, name: str) -> Response:
    """Segment thumbnails and full segment lists: signed URLs that expire with the evidence."""
    services: Services = request.app.state.services
    q = request.query_params
    if not services.urls.check(request.url.path, q.get("t", ""), q.get("us", ""), q.get("sign", "")):
        return _plain(403, "the URL signature is missing, wrong or expired")
    # Evidence shows the media (frames of a video): it goes with the media, as the media URL does (audit D6).
    status = await run_in_threadpool(_evidence_status, services, app_id, task_id)
    if status is None:
        return _plain(404, "no such media")
    if status == "Forbidden":
        return _plain(403, "this media is forbidden")
    return await ranged(request, services, f"evidence/{app_id}/{task_id}/{name}")


def _evidence_status(services: Services, app_id: int, task_id: str) -> str | None:
    """The status of the media the evidence belongs to; None when that media was deleted or is unknown."""
    with services.db.transaction() as s:
        media = media_service.evidence_media(s, app_id=app_id, task_id=task_id)
        return media.status if media is not None else None


def _position(digits: str) -> int:
    """A Range position ("" is 0); one with over 18 significant digits is past the end of any file."""
    significant = digits.lstrip("0")
    return int(significant or "0") if len(significant) <= 18 else _HUGE


async def ranged(request: Request, services: Services, key: str) -> Response:
    """A file response honouring a single ``Range: bytes=a-b`` (206) or answering 416 for a bad one."""
    blobs = services.blobs
    try:
        found = blobs.exists(key)
    except ValueError:  # a "." or ".." part: no blob can have that key
        found = False
    if not found:
        return _plain(404, "no such file")
    size = blobs.size(key)
    content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, max-age=300"}
    start, end, status = 0, size - 1, 200
    header = request.headers.get("range")
    if header:
        match = _RANGE.fullmatch(header.strip())
        if not match or (not match[1] and not match[2]):
            return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
        first, last = (_position(match[1]), _position(match[2]))
        if match[1]:
            start = first
            end = min(last, size - 1) if match[2] else size - 1
        else:
            start = max(size - last, 0)
        if start >= size or start > end:
            return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    if request.method == "HEAD" or size == 0:
        return Response(status_code=status, headers=headers, media_type=content_type)
    return StreamingResponse(
        blobs.read_range(key, start, end), status_code=status, headers=headers, media_type=content_type
    )
