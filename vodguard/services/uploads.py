"""Uploads: ApplyUpload sessions, objects staged through the COS-compatible endpoint, and CommitUpload.

Bytes arrive under ``staging/<session>/`` and become media only at commit, when they are renamed into place and the
media row is written in one transaction: a media row exists only when its bytes are complete. Sessions that expire
uncommitted are swept with their staged bytes (``sweep_expired``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from vodguard import ids
from vodguard.digits import INT64_MAX
from vodguard.errors import AuthFailure, InvalidParameterValue, ResourceNotFound, VodError
from vodguard.services import media as media_service
from vodguard.services import templates
from vodguard.services.media import IMAGE_TYPES, NewMedia
from vodguard.store.blobs import BlobStore
from vodguard.store.models import App, Media, MultipartPart, MultipartUpload, StagedObject, UploadSession
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
    if len(p.session_context) > 1000:
        raise InvalidParameterValue(
            "SessionContext is longer than 1000 characters",
            code="InvalidParameterValue.SessionContextTooLong",
        )
    if not 0 <= p.class_id <= INT64_MAX:
        raise InvalidParameterValue(
            f"ClassId must be between 0 and {INT64_MAX}", code="InvalidParameterValue.ClassId"
        )
    if not -10 <= p.task_priority <= 10:
        raise InvalidParameterValue(
            "TasksPriority must be between -10 and 10", code="InvalidParameterValue.TasksPriority"
        )
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
    session: Session, *, app_id: int, params: UploadParams, region: str, ttl: int, now: datetime
) -> dict[str, Any]:
    """Open an upload session and return the ApplyUpload response fields."""
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
    return {
        "StorageBucket": row.bucket,
        "StorageRegion": params.storage_region or region,
        "VodSessionKey": row.session_key,
        "MediaStoragePath": "/" + media_key,
        "CoverStoragePath": "/" + cover_key if cover_key else "",
        "TempCertificate": {
            "SecretId": row.temp_secret_id,
            "SecretKey": row.temp_secret_key,
            "Token": row.temp_token,
            "ExpiredTime": int(expires.timestamp())
            if expires.tzinfo
            else int((expires - datetime(1970, 1, 1)).total_seconds()),
        },
    }


# The object endpoint's side


def session_for_credential(session: Session, temp_secret_id: str, *, now: datetime) -> UploadSession:
    row = session.scalar(select(UploadSession).where(UploadSession.temp_secret_id == temp_secret_id))
    if row is None:
        raise AuthFailure("unknown temporary SecretId", code="InvalidAccessKeyId")
    if row.expires_at <= now or row.committed_file_id:
        raise AuthFailure("the temporary credential has expired", code="ExpiredToken")
    return row


def object_allowed(row: UploadSession, object_key: str) -> bool:
    """The temporary credential is scoped to the session's media and cover objects only."""
    return object_key in (row.media_key, row.cover_key) and bool(object_key)


def staging_key(row: UploadSession, object_key: str) -> str:
    return f"staging/{row.session_key}/{hashlib.sha256(object_key.encode()).hexdigest()[:32]}"


def record_staged(
    session: Session, row: UploadSession, *, object_key: str, size: int, etag: str, now: datetime
) -> None:
    blob_key = staging_key(row, object_key)
    existing = session.scalar(
        select(StagedObject).where(
            StagedObject.session_key == row.session_key, StagedObject.object_key == object_key
        )
    )
    if existing:
        existing.size, existing.etag, existing.created_at = size, etag, now
    else:
        session.add(StagedObject(session_key=row.session_key, object_key=object_key, blob_key=blob_key, size=size, etag=etag, created_at=now))  # fmt: skip


def initiate_multipart(session: Session, row: UploadSession, *, object_key: str, now: datetime) -> str:
    upload_id = secrets.token_hex(16)
    session.add(
        MultipartUpload(
            upload_id=upload_id, session_key=row.session_key, object_key=object_key, created_at=now
        )
    )
    return upload_id


def get_multipart(session: Session, row: UploadSession, upload_id: str, object_key: str) -> MultipartUpload:
    upload = session.get(MultipartUpload, upload_id)
    if upload is None or upload.session_key != row.session_key or upload.object_key != object_key:
        raise ResourceNotFound(f"upload {upload_id!r} does not exist", code="NoSuchUpload")
    return upload


def part_key(upload: MultipartUpload, number: int) -> str:
    return f"staging/{upload.session_key}/parts/{upload.upload_id}/{number:05d}"


def record_part(
    session: Session, upload: MultipartUpload, *, number: int, size: int, etag: str, now: datetime
) -> None:
    part = session.get(MultipartPart, (upload.upload_id, number))
    if part is None:
        session.add(MultipartPart(upload_id=upload.upload_id, part_number=number, blob_key=part_key(upload, number), size=size, etag=etag, created_at=now))  # fmt: skip
    else:
        part.size, part.etag, part.created_at = size, etag, now


def check_multipart_total(
    session: Session, upload: MultipartUpload, *, number: int, size: int, limit: int
) -> None:
    """Refuse part ``number`` of ``size`` bytes when it would take the upload's parts past ``limit`` bytes in all
    (a part sent again replaces the old one, so its old size does not count)."""
    others = session.scalar(
        select(func.coalesce(func.sum(MultipartPart.size), 0)).where(
            MultipartPart.upload_id == upload.upload_id, MultipartPart.part_number != number
        )
    )
    if others + size > limit:
        raise VodError(
            f"part {number} would bring the object to {others + size} bytes, over the limit of {limit} bytes "
            "(VODGUARD_MAX_UPLOAD_BYTES)",
            code="EntityTooLarge",
        )


def list_parts(session: Session, upload: MultipartUpload) -> list[MultipartPart]:
    return list(
        session.scalars(
            select(MultipartPart)
            .where(MultipartPart.upload_id == upload.upload_id)
            .order_by(MultipartPart.part_number)
        )
    )


def list_uploads(session: Session, row: UploadSession, prefix: str) -> list[MultipartUpload]:
    query = select(MultipartUpload).where(MultipartUpload.session_key == row.session_key)
    return [u for u in session.scalars(query) if u.object_key.startswith(prefix)]


def complete_multipart(
    session: Session,
    blobs: BlobStore,
    row: UploadSession,
    upload: MultipartUpload,
    requested: list[tuple[int, str]],
    *,
    limit: int,
    now: datetime,
) -> str:
    """Join the listed parts (in order, ETags checked) into the staged object; returns the object's ETag.

    Refuses ``EntityTooLarge``, joining nothing, when the listed parts add up to more than ``limit`` bytes."""
    parts = {p.part_number: p for p in list_parts(session, upload)}
    if not requested:
        raise VodError("the part list is empty", code="MalformedXML")
    numbers = [n for n, _ in requested]
    if numbers != sorted(set(numbers)):
        raise VodError("parts must be listed in ascending order, once each", code="InvalidPartOrder")
    for number, etag in requested:
        part = parts.get(number)
        if part is None or part.etag.strip('"') != etag.strip('"'):
            raise VodError(f"part {number} was not uploaded or its ETag differs", code="InvalidPart")
    total = sum(parts[n].size for n in numbers)
    if total > limit:
        raise VodError(
            f"the parts add up to {total} bytes, over the limit of {limit} bytes (VODGUARD_MAX_UPLOAD_BYTES)",
            code="EntityTooLarge",
        )
    key = staging_key(row, upload.object_key)
    info = blobs.concat(key, [parts[n].blob_key for n in numbers])
    etag = f"{hashlib.md5(b''.join(bytes.fromhex(parts[n].etag.strip(chr(34))) for n in numbers)).hexdigest()}-{len(numbers)}"
    record_staged(session, row, object_key=upload.object_key, size=info.size, etag=etag, now=now)
    abort_multipart(session, blobs, upload)
    return etag


def abort_multipart(session: Session, blobs: BlobStore, upload: MultipartUpload) -> None:
    blobs.delete_prefix(f"staging/{upload.session_key}/parts/{upload.upload_id}")
    session.execute(delete(MultipartPart).where(MultipartPart.upload_id == upload.upload_id))
    session.delete(upload)


# CommitUpload


def get_session(session: Session, *, app_id: int, session_key: str, now: datetime) -> UploadSession:
    row = session.get(UploadSession, session_key)
    if row is None or row.app_id != app_id:
        raise InvalidParameterValue(
            "VodSessionKey does not exist", code="InvalidParameterValue.VodSessionKey"
        )
    if row.expires_at <= now and not row.committed_file_id:
        raise InvalidParameterValue("VodSessionKey has expired", code="InvalidParameterValue.VodSessionKey")
    return row


def commit_upload(
    session: Session, blobs: BlobStore, *, app: App, session_key: str, now: datetime
) -> tuple[Media, UploadParams, bool]:
    """Turn the staged bytes into a media. Idempotent: a second commit returns the same media (``fresh`` False)."""
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
