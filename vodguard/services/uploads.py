"""Uploads: ApplyUpload sessions, CommitUpload, and ``POST /upload``'s form files; both ways end in
``finish_upload``.

Bytes arrive under ``staging/`` (through the COS-compatible endpoint, ``services/staging.py``, or the form) and
become media only at commit, when they are renamed into place and the media row is written in one transaction: a
media row exists only when its bytes are complete. Sessions that expire uncommitted are swept with their staged
bytes (``sweep_expired``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vodguard import ids
from vodguard.digits import INT64_MAX
from vodguard.errors import AuthFailure, InvalidParameterValue, RequestSizeLimitExceeded
from vodguard.services import media as media_service
from vodguard.services import procedures, tasks, templates
from vodguard.services.container import Services
from vodguard.services.media import NewMedia
from vodguard.services.media_types import IMAGE_TYPES
from vodguard.store.blobs import BlobStore, BlobTooLarge
from vodguard.store.models import (
    App,
    Media,
    MultipartPart,
    MultipartUpload,
    StagedObject,
    UploadSession,
    UsedSignature,
)
from vodguard.timeutil import parse_iso

_PATH_OK = re.compile(r"/[A-Za-z0-9._\-~!$&'()*+,;=:@/\u4e00-\u9fff]+")  # fullmatch: "$" allows a final "\n"


def bucket_for(app_id: int) -> str:
    return f"vodguard-{app_id}"


@dataclass
class UploadParams:
    """The fields of ApplyUpload (or of a client signature / form upload) that shape the media."""

    media_type: str
    media_name: str = ""
    cover_type: str = ""
    procedure: str = ""
    expire_time: str = ""
    storage_region: str = ""
    class_id: int = 0
    source_context: str = ""
    session_context: str = ""
    media_storage_path: str = ""
    task_priority: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def validate_params(session: Session, app_id: int, p: UploadParams, *, now: datetime) -> datetime | None:
    """Check every field, naming it on failure; returns the parsed ExpireTime."""
    if not p.media_type:
        raise InvalidParameterValue("MediaType is required", code="InvalidParameterValue.MediaType")
    media_service.category_for(p.media_type)
    if p.cover_type and p.cover_type.lower() not in IMAGE_TYPES:
        raise InvalidParameterValue(
            f"CoverType {p.cover_type!r} is not an image type", code="InvalidParameterValue.CoverType"
        )
    if len(p.media_name) > 256:
        raise InvalidParameterValue(
            "MediaName is longer than 256 characters", code="InvalidParameterValue.MediaName"
        )
    if len(p.source_context) > 250:
        raise InvalidParameterValue(
            "SourceContext is longer than 250 characters", code="InvalidParameterValue.SourceContext"
        )
    tasks.check_session_fields(session_context=p.session_context)
    if not 0 <= p.class_id <= INT64_MAX:
        raise InvalidParameterValue(
            f"ClassId must be between 0 and {INT64_MAX}", code="InvalidParameterValue.ClassId"
        )
    tasks.check_priority(p.task_priority)
    if p.media_storage_path:
        check_storage_path(p.media_storage_path)
        if session.scalar(
            select(Media.file_id).where(Media.app_id == app_id, Media.storage_path == p.media_storage_path)
        ):
            raise InvalidParameterValue(
                f"MediaStoragePath {p.media_storage_path!r} is already used by another media",
                code="InvalidParameterValue.MediaStoragePath",
            )
    if p.procedure:
        templates.get_procedure(session, app_id=app_id, name=p.procedure)
    expire = None
    if p.expire_time:
        try:
            expire = parse_iso(p.expire_time)
        except ValueError:
            raise InvalidParameterValue(
                f"ExpireTime {p.expire_time!r} is not an ISO 8601 date-time",
                code="InvalidParameterValue.ExpireTime",
            ) from None
        if expire <= now:
            raise InvalidParameterValue("ExpireTime is in the past", code="InvalidParameterValue.ExpireTime")
    return expire


def check_storage_path(path: str) -> None:
    parts = path.split("/")[1:]
    if len(path) > 512 or not _PATH_OK.fullmatch(path) or any(part in ("", ".", "..") for part in parts):
        raise InvalidParameterValue(
            f"MediaStoragePath {path!r} must start with '/', name a file, and contain no empty, '.' or '..' parts",
            code="InvalidParameterValue.MediaStoragePath",
        )


def apply_upload(
    session: Session, *, app_id: int, params: UploadParams, ttl: int, now: datetime
) -> UploadSession:
    """Open an upload session for ``ttl`` seconds; ApplyUpload's answer is ``wire.responses.apply_upload`` of it."""
    validate_params(session, app_id, params, now=now)
    key = secrets.token_hex(8)
    ext = params.media_type.lower()
    media_key = params.media_storage_path[1:] if params.media_storage_path else f"{key}/media.{ext}"
    cover_key = f"{key}/cover.{params.cover_type.lower()}" if params.cover_type else ""
    expires = now + timedelta(seconds=ttl)
    row = UploadSession(
        session_key=ids.token(24),
        app_id=app_id,
        params=params.__dict__,
        media_key=media_key,
        cover_key=cover_key,
        bucket=bucket_for(app_id),
        temp_secret_id="AKIDTMP" + secrets.token_hex(14),
        temp_secret_key=secrets.token_urlsafe(24),
        temp_token=secrets.token_urlsafe(48),
        expires_at=expires,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


# Committing: CommitUpload and POST /upload


@dataclass(frozen=True)
class UploadResult:
    """A committed upload: its media, the media's and cover's signed URLs, and the review its procedure started."""

    file_id: str
    media_url: str
    cover_url: str
    review_task_id: str = ""


def finish_upload(
    services: Services, *, commit: Callable[[Session], tuple[Media, UploadParams, bool]], now: datetime
) -> UploadResult:
    """Commit an upload in one transaction and sign its URLs.

    ``commit`` writes the media row, or finds the one an earlier commit wrote (its third value, ``fresh``, is
    then False). A fresh media starts the procedure its upload named and is announced (NewFileUpload). If the
    transaction fails, a fresh media's bytes are removed.
    """
    media: Media | None = None
    fresh = False
    try:
        with services.db.transaction() as s:
            media, params, fresh = commit(s)
            task_id = ""
            if fresh:
                task_id = procedures.after_upload(
                    s, services=services, media=media, procedure=params.procedure, priority=params.task_priority,
                    session_context=params.session_context, now=now,
                )  # fmt: skip
            media_url, cover_url = media_service.playback_urls(
                media, services.urls, ttl=services.settings.playback_url_seconds
            )
    except BaseException:
        # The row was not committed: its bytes must not stay behind (they went out of staging).
        if media is not None and fresh:
            media_service.discard_blobs(services.blobs, media)
        raise
    return UploadResult(media.file_id, media_url, cover_url, task_id)


def commit_upload(services: Services, *, app: App, session_key: str, now: datetime) -> UploadResult:
    """CommitUpload: the session's staged bytes become a media. Idempotent: a second commit answers the same
    media and starts nothing."""
    return finish_upload(
        services,
        commit=lambda s: _commit_session(s, services.blobs, app=app, session_key=session_key, now=now),
        now=now,
    )


def upload_files(
    services: Services,
    *,
    app: App,
    params: UploadParams,
    media: BinaryIO,
    cover: BinaryIO | None = None,
    one_time_digest: str = "",
    now: datetime,
) -> UploadResult:
    """``POST /upload``: stage the form's files under the upload limit, then commit them as one upload.

    ``one_time_digest`` names a one-time signature, spent in the commit's transaction: a second upload with it is
    refused, even on another API server.
    """
    blobs = services.blobs
    staged = f"staging/direct/{ids.token(12)}"
    limit = services.settings.max_upload_bytes
    try:
        with services.db.transaction() as s:
            expire = validate_params(s, app.id, params, now=now)
        try:
            info = blobs.put_stream(f"{staged}/media", media, limit=limit)
            if cover is not None:
                blobs.put_stream(f"{staged}/cover", cover, limit=limit)
        except BlobTooLarge:
            raise RequestSizeLimitExceeded(f"the upload is larger than the limit of {limit} bytes") from None
        if info.size == 0:
            raise InvalidParameterValue("the uploaded file is empty", code="InvalidParameterValue.MediaFile")

        def commit(session: Session) -> tuple[Media, UploadParams, bool]:
            if one_time_digest:
                _spend_signature(session, one_time_digest, now=now)
            created = media_service.create_media(
                session, blobs,
                new=NewMedia(
                    app_id=app.id, media_type=params.media_type, name=params.media_name, storage_path="",
                    class_id=params.class_id, source_context=params.source_context,
                    session_context=params.session_context, expire_time=expire,
                    storage_region=services.settings.storage_region,
                ),
                staged_key=f"{staged}/media", staged_cover_key=f"{staged}/cover" if cover is not None else "",
                cover_type=params.cover_type, published=app.publish_mode != "pre", now=now,
            )  # fmt: skip
            return created, params, True

        return finish_upload(services, commit=commit, now=now)
    finally:
        blobs.delete_prefix(staged)


def _spend_signature(session: Session, digest: str, *, now: datetime) -> None:
    """Mark a one-time upload signature used (kept past its 90 days of validity); refuse it if it was."""
    session.add(UsedSignature(digest=digest, expires_at=now + timedelta(days=91)))
    try:
        session.flush()
    except IntegrityError:
        raise AuthFailure(
            "this one-time signature was already used", code="AuthFailure.SignatureFailure"
        ) from None


def get_session(session: Session, *, app_id: int, session_key: str, now: datetime) -> UploadSession:
    row = session.get(UploadSession, session_key)
    if row is None or row.app_id != app_id:
        raise InvalidParameterValue(
            "VodSessionKey does not exist", code="InvalidParameterValue.VodSessionKey"
        )
    if row.expires_at <= now and not row.committed_file_id:
        raise InvalidParameterValue("VodSessionKey has expired", code="InvalidParameterValue.VodSessionKey")
    return row


def _commit_session(
    session: Session, blobs: BlobStore, *, app: App, session_key: str, now: datetime
) -> tuple[Media, UploadParams, bool]:
    """Turn the session's staged bytes into a media; a second commit returns the same media (``fresh`` False)."""
    row = get_session(session, app_id=app.id, session_key=session_key, now=now)
    if row.committed_file_id:
        return (
            media_service.get_media(session, app_id=app.id, file_id=row.committed_file_id),
            UploadParams(**row.params),
            False,
        )
    staged = {
        s.object_key: s
        for s in session.scalars(select(StagedObject).where(StagedObject.session_key == row.session_key))
    }
    media_obj = staged.get(row.media_key)
    if media_obj is None:
        raise InvalidParameterValue(
            "no media was uploaded in this VodSessionKey's session (PUT the file first)",
            code="InvalidParameterValue.VodSessionKey",
        )
    if media_obj.size == 0:
        raise InvalidParameterValue(
            "the uploaded media file is empty", code="InvalidParameterValue.MediaFile"
        )
    params = UploadParams(**row.params)
    expire = validate_params(session, app.id, params, now=now)
    cover = staged.get(row.cover_key) if row.cover_key else None
    media = media_service.create_media(
        session,
        blobs,
        new=NewMedia(
            app_id=app.id, media_type=params.media_type, name=params.media_name or "media",
            storage_path=params.media_storage_path, class_id=params.class_id, source_context=params.source_context,
            session_context=params.session_context, expire_time=expire, storage_region=params.storage_region,
        ),
        staged_key=media_obj.blob_key,
        staged_cover_key=cover.blob_key if cover else "",
        cover_type=params.cover_type,
        published=app.publish_mode != "pre",
        now=now,
    )  # fmt: skip
    row.committed_file_id = media.file_id
    session.execute(delete(StagedObject).where(StagedObject.session_key == row.session_key))
    return media, params, True


def sweep_expired(session: Session, blobs: BlobStore, *, now: datetime) -> int:
    """Delete sessions past their expiry (committed ones after a day more) and their staged bytes."""
    rows = list(session.scalars(select(UploadSession).where(UploadSession.expires_at <= now)))
    swept = 0
    for row in rows:
        if row.committed_file_id and row.expires_at > now - timedelta(days=1):
            continue
        blobs.delete_prefix(f"staging/{row.session_key}")
        uploads = [
            u.upload_id
            for u in session.scalars(
                select(MultipartUpload).where(MultipartUpload.session_key == row.session_key)
            )
        ]
        if uploads:
            session.execute(delete(MultipartPart).where(MultipartPart.upload_id.in_(uploads)))
            session.execute(delete(MultipartUpload).where(MultipartUpload.upload_id.in_(uploads)))
        session.execute(delete(StagedObject).where(StagedObject.session_key == row.session_key))
        session.delete(row)
        swept += 1
    return swept
