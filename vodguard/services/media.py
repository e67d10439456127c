"""Media: stored files, their metadata, URLs, deletion and distribution bans."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from vodguard import ids
from vodguard.errors import FailedOperation, InvalidParameterValue, ResourceNotFound
from vodguard.services import events, tasks, wire
from vodguard.services.events import Wakeups
from vodguard.services.media_types import AUDIO_TYPES, IMAGE_TYPES, VIDEO_TYPES
from vodguard.services.urls import UrlSigner
from vodguard.store.blobs import BlobStore
from vodguard.store.db import after_commit
from vodguard.store.models import App, Task
from vodguard.store.models import Media as Media  # re-exported: api/ may not import store/

log = logging.getLogger("vodguard.media")

_IMAGE_EVIDENCE = re.compile(r"image-([0-9]+)-[0-9]+")  # ReviewImage's evidence folder (services/reviews.py)


def category_for(media_type: str) -> str:
    ext = media_type.lower()
    if ext in VIDEO_TYPES:
        return "Video"
    if ext in AUDIO_TYPES:
        return "Audio"
    if ext in IMAGE_TYPES:
        return "Image"
    raise InvalidParameterValue(
        f"MediaType {media_type!r} is not a video, audio or image type this server accepts",
        code="InvalidParameterValue.MediaType",
    )


def media_path(media: Media) -> str:
    return f"/{media.blob_key}"


def cover_path(media: Media) -> str:
    return f"/{media.cover_blob_key}" if media.cover_blob_key else ""


def probe(path: Path, media_type: str) -> tuple[str, wire.results.MediaMetaData]:
    """Category and MediaMetaData (PascalCase) of a stored file; undecodable files keep the declared category."""
    from vodguard.moderation.config import Limits
    from vodguard.moderation.errors import ModerationError
    from vodguard.moderation.media import probe as probe_media

    try:
        info = probe_media(path, Limits(max_file_bytes=1 << 62), complete=False)  # metadata, not moderation
    except ModerationError as exc:
        log.info("stored %s without metadata: %s", path.name, exc)
        return category_for(media_type), wire.results.bare_meta(path.stat().st_size, media_type)
    return info.category, wire.results.media_meta(info)


@dataclass
class NewMedia:
    """What an upload knows about the file it is committing."""

    app_id: int
    media_type: str
    name: str
    storage_path: str
    class_id: int = 0
    source_context: str = ""
    session_context: str = ""
    expire_time: datetime | None = None
    storage_region: str = ""
    source_type: str = "Upload"


def create_media(
    session: Session,
    blobs: BlobStore,
    *,
    new: NewMedia,
    staged_key: str,
    staged_cover_key: str = "",
    cover_type: str = "",
    published: bool,
    now: datetime,
) -> Media:
    """Move the staged bytes into place and add the media row, in the caller's transaction.

    If the transaction later fails, the caller must delete ``media.blob_key`` (``discard_blobs``).
    """
    category_for(new.media_type)
    file_id = ids.file_id()
    base = f"media/{new.app_id}/{file_id}"
    blob_key = f"{base}/original.{new.media_type.lower()}"
    info = blobs.move(staged_key, blob_key)
    cover_key = ""
    if staged_cover_key:
        cover_key = f"{base}/cover.{(cover_type or 'jpg').lower()}"
        blobs.move(staged_cover_key, cover_key)
    category, meta = probe(blobs.local_path(blob_key), new.media_type)
    meta["Md5"] = info.md5
    meta.setdefault("Size", info.size)
    media = Media(
        file_id=file_id,
        app_id=new.app_id,
        name=new.name,
        media_type=new.media_type.lower(),
        category=category,
        class_id=new.class_id,
        blob_key=blob_key,
        storage_path=new.storage_path or f"/{blob_key}",
        cover_blob_key=cover_key,
        size=info.size,
        md5=info.md5,
        meta=meta,
        published=published,
        source_type=new.source_type,
        source_context=new.source_context,
        session_context=new.session_context,
        storage_region=new.storage_region,
        expire_time=new.expire_time,
        created_at=now,
        updated_at=now,
    )
    session.add(media)
    session.flush()
    return media


def discard_blobs(blobs: BlobStore, media: Media) -> None:
    blobs.delete_prefix(f"media/{media.app_id}/{media.file_id}")


def discard_evidence(blobs: BlobStore, media: Media, folders: Iterable[str]) -> None:
    """Remove a deleted media's evidence: its tasks' ``folders`` and ReviewImage's."""
    for folder in folders:
        blobs.delete_prefix(folder)
    blobs.delete_starting(f"evidence/{media.app_id}", f"image-{media.file_id}-")


def get_servable(session: Session, *, app_id: int, file_id: str, path: str) -> str:
    """The blob key behind ``path``, the media or cover path of one of the app's media, when it may be served to
    whoever holds a signed URL. Raises ``ResourceNotFound`` (no such media or file) or ``FailedOperation`` (the
    media is forbidden, or unpublished: only its cover is served before it is)."""
    media = session.get(Media, file_id)
    if media is None or media.app_id != app_id:
        raise ResourceNotFound("no such media")
    if media.status == "Forbidden":
        raise FailedOperation("this media is forbidden")
    key = media.blob_key if path == media_path(media) else None
    if key is None and path == cover_path(media):
        key = media.cover_blob_key
    if key is None:
        raise ResourceNotFound("no such file")
    if not media.published and key == media.blob_key:
        raise FailedOperation("this media is not published (it awaits moderation)")
    return key


def evidence_media(session: Session, *, app_id: int, task_id: str) -> Media | None:
    """The media whose review wrote ``evidence/<app_id>/<task_id>``; None when it was deleted or is unknown.

    A task's evidence belongs to the task's FileId; ReviewImage's (no task row) to the FileId in its folder name.
    """
    task = session.get(Task, task_id)
    if task is not None:
        file_id = task.file_id if task.app_id == app_id else ""
    else:
        match = _IMAGE_EVIDENCE.fullmatch(task_id)
        file_id = match[1] if match else ""
    media = session.get(Media, file_id) if file_id else None
    return media if media is not None and media.app_id == app_id else None


def get_media(
    session: Session, *, app_id: int, file_id: str | None = None, storage_path: str | None = None
) -> Media:
    """One media of this app, by FileId or MediaStoragePath; raises ``ResourceNotFound.FileNotExist``."""
    media = None
    if file_id:
        media = session.get(Media, file_id)
    elif storage_path:
        media = session.scalar(
            select(Media).where(Media.app_id == app_id, Media.storage_path == storage_path)
        )
    if media is None or media.app_id != app_id:
        what = f"FileId {file_id!r}" if file_id else f"MediaStoragePath {storage_path!r}"
        raise ResourceNotFound(f"{what} does not exist", code="ResourceNotFound.FileNotExist")
    return media


def check_file_ids(file_ids: list[str] | None) -> list[str]:
    if not file_ids:
        raise InvalidParameterValue(
            "FileIds must hold 1 to 20 items", code="InvalidParameterValue.FileIdsEmpty"
        )
    if len(file_ids) > 20:
        raise InvalidParameterValue(
            "FileIds holds more than 20 items", code="InvalidParameterValue.FileIdsTooMany"
        )
    return list(dict.fromkeys(file_ids))


def find_many(session: Session, *, app_id: int, file_ids: list[str]) -> tuple[list[Media], list[str]]:
    rows = {
        m.file_id: m
        for m in session.scalars(select(Media).where(Media.file_id.in_(file_ids), Media.app_id == app_id))
    }
    return [rows[f] for f in file_ids if f in rows], [f for f in file_ids if f not in rows]


def playback_urls(media: Media, urls: UrlSigner, *, ttl: int) -> tuple[str, str]:
    """Freshly signed URLs of the media and of its cover ("" when it has none), valid for ``ttl`` seconds."""
    media_url, _ = urls.url(media_path(media), ttl=ttl)
    cover_url = urls.url(cover_path(media), ttl=ttl)[0] if media.cover_blob_key else ""
    return media_url, cover_url


def basic_info(media: Media, urls: UrlSigner, *, ttl: int) -> wire.shapes.MediaBasicInfo:
    """MediaBasicInfo (spec §3.8) with freshly signed URLs."""
    media_url, cover_url = playback_urls(media, urls, ttl=ttl)
    return wire.shapes.basic_info(media, media_url=media_url, cover_url=cover_url)


MEDIA_INFO_FILTERS = frozenset({
    "basicInfo", "metaData", "transcodeInfo", "animatedGraphicsInfo", "imageSpriteInfo", "snapshotByTimeOffsetInfo",
    "sampleSnapshotInfo", "keyFrameDescInfo", "adaptiveDynamicStreamingInfo", "miniProgramReviewInfo",
    "subtitleInfo", "reviewInfo", "mpsAiMediaInfo", "knowledgeBasesInfo",
})  # fmt: skip


def media_info(
    media: Media, urls: UrlSigner, *, ttl: int, filters: Iterable[str] = MEDIA_INFO_FILTERS
) -> wire.shapes.MediaInfo:
    """One MediaInfo of DescribeMediaInfos (spec §2.9), with the parts ``filters`` asks for; ``vodguard media
    show`` prints the same."""
    wanted = set(filters)
    return wire.shapes.MediaInfo(
        FileId=media.file_id,
        BasicInfo=basic_info(media, urls, ttl=ttl) if "basicInfo" in wanted else None,
        MetaData=media.meta if "metaData" in wanted else None,
        ReviewInfo=wire.shapes.review_info(media) if "reviewInfo" in wanted else None,
    )


def find_any_media(session: Session, file_id: str) -> Media | None:
    """The media with this FileId in whichever app, for the operator's command line on the data directory."""
    return session.get(Media, file_id)


def delete_media(
    session: Session, blobs: BlobStore, wakeups: Wakeups, *, app_id: int, file_id: str, now: datetime
) -> Media:
    """Remove the row (and emit FileDeleted) in the caller's transaction; once it commits, the bytes and the
    evidence of the media's tasks and ReviewImages go too: thumbnails of deleted media do not outlive it (and
    ``evidence_media`` refuses them from the commit on). Returns the deleted media."""
    media = get_media(session, app_id=app_id, file_id=file_id)
    task_ids = session.scalars(select(Task.task_id).where(Task.app_id == app_id, Task.file_id == file_id))
    evidence = [f"evidence/{app_id}/{task_id}" for task_id in task_ids]
    tasks.abort_waiting(session, app_id=app_id, file_id=file_id, now=now)
    session.delete(media)
    after_commit(session, lambda: discard_blobs(blobs, media))
    after_commit(session, lambda: discard_evidence(blobs, media, evidence))
    events.emit(
        session,
        wakeups=wakeups,
        app_id=app_id,
        event_type="FileDeleted",
        body=wire.shapes.delete_event(file_id),
        order_key=file_id,
        now=now,
    )
    return media


def apply_publishing(session: Session, media: Media, suggestion: str) -> None:
    """Pre-moderation publishes only what passed; post-moderation forbids what a review blocks."""
    app = session.get(App, media.app_id)
    if app is not None and app.publish_mode == "pre":
        media.published = suggestion == "pass"
    elif suggestion == "block":
        media.status = "Forbidden"


def forbid(session: Session, *, app_id: int, file_ids: list[str], operation: str, now: datetime) -> list[str]:
    if operation not in ("forbid", "recover"):
        raise InvalidParameterValue(
            f"Operation {operation!r} must be forbid or recover", code="InvalidParameterValue.Operation"
        )
    found, missing = find_many(session, app_id=app_id, file_ids=check_file_ids(file_ids))
    for media in found:
        media.status = "Forbidden" if operation == "forbid" else "Normal"
        media.updated_at = now
    return missing
