"""Objects staged through the COS-compatible endpoint (``api/cos.py``): what an upload session's temporary
credential may write, single PUTs, and multipart uploads (initiate, parts, list, complete, abort).

Bytes land under ``staging/<session>/`` and stay there until CommitUpload moves them into place
(``services/uploads.py``); a session that expires uncommitted is swept with them.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from vodguard.errors import AuthFailure, ResourceNotFound, VodError
from vodguard.store.blobs import BlobStore
from vodguard.store.models import MultipartPart, MultipartUpload, StagedObject
from vodguard.store.models import UploadSession as UploadSession  # re-exported: api/ may not import store/


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
    others = session.execute(
        select(func.coalesce(func.sum(MultipartPart.size), 0)).where(
            MultipartPart.upload_id == upload.upload_id, MultipartPart.part_number != number
        )
    ).scalar_one()
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
