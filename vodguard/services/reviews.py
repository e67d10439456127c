"""Running reviews: a worker claims a task, runs the engine, stores the evidence and finishes the task.

The claim is one conditional UPDATE (WAITING, or PROCESSING with an expired lease → PROCESSING with a new lease),
so a task delivered twice runs once. While the engine works, a heartbeat renews the lease; if the worker dies,
the lease expires and ``reap_expired_leases`` puts the task back on the queue. Finishing writes the task, the
media's review info, the publishing decision and the ReviewAudioVideoComplete event in one transaction.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from vodguard import metrics
from vodguard.errors import LimitExceeded
from vodguard.moderation.errors import ModerationError, SourceFileError
from vodguard.moderation.types import ModerationResult, Template, Thresholds
from vodguard.services import decisions, events, reuse, templates
from vodguard.services import tasks as task_service
from vodguard.services.concurrency import SlotsFull
from vodguard.services.container import Services
from vodguard.store.models import Media, Task
from vodguard.timeutil import from_unix, iso, utcnow

log = logging.getLogger("vodguard.reviews")
INLINE_SEGMENTS = 10


def engine_template(view: templates.ReviewTemplateView) -> Template:
    """The engine's template for a stored one: its labels, with per-label thresholds where the app set them, and
    its custom text labels."""
    from vodguard.moderation.presets import DEFAULT_THRESHOLDS

    thresholds = {}
    for label in view.labels:
        custom = (view.thresholds or {}).get(label)
        base = DEFAULT_THRESHOLDS[label]
        if custom:
            thresholds[label] = Thresholds(
                review=float(custom.get("review", base.review)), block=float(custom.get("block", base.block))
            )
        else:
            thresholds[label] = base
    return Template(
        definition=view.definition,
        labels=frozenset(view.labels),
        thresholds=thresholds,
        custom_labels=tuple(view.custom_labels),
    )


def claim(session: Session, *, task_id: str, lease_seconds: float, now: datetime) -> Task | None:
    """Take the task if it is waiting or its lease expired; None when another worker holds it or it is done."""
    result = session.execute(
        update(Task)
        .where(
            Task.task_id == task_id,
            or_(Task.status == "WAITING", and_(Task.status == "PROCESSING", Task.lease_until < now)),
        )
        .values(
            status="PROCESSING",
            lease_until=now + timedelta(seconds=lease_seconds),
            attempts=Task.attempts + 1,
            begin_at=now,
        )
    )
    if result.rowcount != 1:
        return None
    return session.get(Task, task_id)


def renew_lease(services: Services, task_id: str, progress: float | None = None) -> bool:
    """Extend the lease; False if the task is no longer ours to work on (aborted, or reaped and re-claimed)."""
    now = utcnow()
    values: dict[str, Any] = {"lease_until": now + timedelta(seconds=services.settings.task_lease_seconds)}
    if progress is not None:
        values["progress"] = progress
    with services.db.transaction() as s:
        result = s.execute(
            update(Task).where(Task.task_id == task_id, Task.status == "PROCESSING").values(**values)
        )
        return result.rowcount == 1


def reap_expired_leases(session: Session, *, services: Services, now: datetime) -> list[str]:
    """Queue again what a worker lost: PROCESSING tasks whose lease expired (the worker died or lost the database),
    and WAITING tasks whose queue message may be gone (a worker died between taking it and claiming the row)."""
    expired = list(session.scalars(select(Task).where(Task.status == "PROCESSING", Task.lease_until < now)))
    for task in expired:
        log.warning("task %s lost its worker (lease expired); queued again", task.task_id)
        task.status = "WAITING"
    stale = list(session.scalars(select(Task).where(Task.status == "WAITING", Task.lease_until < now)))
    for task in {t.task_id: t for t in [*expired, *stale]}.values():
        task_service.enqueue_after_commit(session, services, task)  # a duplicate message is harmless
    return [t.task_id for t in expired]


def requeue_waiting(services: Services) -> int:
    """Queue every WAITING task again (at start-up: the queue may have lost messages; duplicates are harmless)."""
    with services.db.transaction() as s:
        rows = list(s.scalars(select(Task).where(Task.status == "WAITING").order_by(Task.created_at)))
        for task in rows:
            task_service.enqueue_after_commit(s, services, task)
        return len(rows)


@dataclass
class _Heartbeat:
    services: Services
    task_id: str
    progress: float = 0.0
    lost: bool = False

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{self.task_id[-8:]}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        every = max(self.services.settings.task_lease_seconds / 3, 0.2)
        while not self._stop.wait(every):
            try:
                if not renew_lease(self.services, self.task_id, self.progress):
                    self.lost = True
                    return
            except Exception:
                log.exception("could not renew the lease of %s", self.task_id)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def process(services: Services, task_id: str) -> None:
    """The worker's handler: run one task id from the queue to the end (or leave it to its current owner)."""
    settings = services.settings
    with services.db.transaction() as s:
        task = claim(s, task_id=task_id, lease_seconds=settings.task_lease_seconds, now=utcnow())
        if task is None:
            return
        media = s.get(Media, task.file_id)
        snapshot = _Snapshot.of(task, media, s)
    if snapshot.error:
        finish_failed(services, task_id, code="SourceFileError", message=snapshot.error)
        return
    heartbeat = _Heartbeat(services, task_id)
    try:
        run = _run_engine(services, snapshot, heartbeat)
    except SourceFileError as exc:
        heartbeat.stop()
        finish_failed(services, task_id, code="SourceFileError", message=str(exc))
        return
    except Exception as exc:
        heartbeat.stop()
        _retry_or_fail(services, snapshot, exc)
        return
    heartbeat.stop()
    if heartbeat.lost:
        log.warning("task %s was taken from this worker (lease lost); its result is dropped", task_id)
        return
    finish_succeeded(
        services, task_id, output=run.output, media_result=run.media_result, cover_result=run.cover_result,
        reuse_key=run.reuse_key, reused_from=run.reused_from, media_digest=run.media_digest,
    )  # fmt: skip


@dataclass
class _Snapshot:
    """What the engine needs from the rows, read in the claim's transaction."""

    task_id: str
    app_id: int
    file_id: str
    attempts: int
    priority: int
    contents: list[str]
    template: Template | None
    media_key: str
    cover_key: str
    is_image: bool
    error: str = ""

    @classmethod
    def of(cls, task: Task, media: Media | None, session: Session) -> _Snapshot:
        base = dict(
            task_id=task.task_id, app_id=task.app_id, file_id=task.file_id, attempts=task.attempts,
            priority=task.priority, contents=list(task.review_contents or ["Media"]),
        )  # fmt: skip
        if media is None:
            return cls(**base, template=None, media_key="", cover_key="", is_image=False,
                       error=f"the media {task.file_id} was deleted before it was reviewed")  # fmt: skip
        try:
            view = templates.get_review_template(session, app_id=task.app_id, definition=task.definition)
        except Exception:
            return cls(**base, template=None, media_key="", cover_key="", is_image=False,
                       error=f"review template {task.definition} no longer exists")  # fmt: skip
        return cls(
            **base,
            template=engine_template(view),
            media_key=media.blob_key,
            cover_key=media.cover_blob_key,
            is_image=media.category == "Image",
        )


@dataclass
class _Outcome:
    """A task's result: the wire output, the engine results behind it, and how it can be found again."""

    output: dict[str, Any]
    media_result: ModerationResult | None
    cover_result: dict[str, Any] | None
    reuse_key: str = ""
    reused_from: str = ""  # the earlier task whose result was replayed
    media_digest: str = ""  # SHA-256 of the media's bytes, when reuse hashed them


def _run_engine(services: Services, snap: _Snapshot, heartbeat: _Heartbeat) -> _Outcome:
    engine = services.engine()
    assert snap.template is not None
    digest = key = ""
    if services.settings.reuse_results:
        try:
            digest = reuse.file_digest(services.blobs.local_path(snap.media_key))
            key = _reuse_key(services, snap, digest)
        except OSError:  # the bytes are gone: the engine says so below, as a SourceFileError
            digest = key = ""
    source, replayed = _replayable(services, snap, key) if key else (None, {})
    deadline = time.monotonic() + services.settings.task_wall_seconds
    media_result = None
    output: dict[str, Any] = {"Suggestion": "pass", "Label": "", "Form": "", "SegmentSet": []}
    if "Media" in snap.contents:
        path = services.blobs.local_path(snap.media_key)

        def progress(stage: str, fraction: float) -> None:
            heartbeat.progress = round(min(max(fraction, 0.0), 1.0), 3)

        if "Media" in replayed:
            media_result = replayed["Media"]
        elif snap.is_image:
            media_result = engine.moderate_image(path, snap.template)
        else:
            media_result = engine.moderate_media(path, snap.template, progress=progress, deadline=deadline)
        output = _store_result(services, snap, media_result, timed=not snap.is_image)
    cover_result = None
    if "Cover" in replayed:
        cover_result = _store_result(services, snap, replayed["Cover"], timed=False, prefix="cover-")
    elif "Cover" in snap.contents and snap.cover_key and source is None:
        try:
            cover = engine.moderate_image(services.blobs.local_path(snap.cover_key), snap.template)
            cover_result = _store_result(services, snap, cover, timed=False, prefix="cover-")
        except SourceFileError as exc:
            log.info("cover of %s could not be reviewed: %s", snap.file_id, exc)
    output["CoverReviewResult"] = cover_result
    return _Outcome(output, media_result, cover_result, key, source or "", digest)


def _reuse_key(services: Services, snap: _Snapshot, media_digest: str) -> str:
    """The task's reuse key (``services/reuse.py``); hashes the cover's bytes when the cover is reviewed."""
    assert snap.template is not None
    cover_digest = ""
    if "Cover" in snap.contents and snap.cover_key:
        cover_digest = reuse.file_digest(services.blobs.local_path(snap.cover_key))
    return reuse.reuse_key(
        media_digest=media_digest,
        cover_digest=cover_digest,
        contents=snap.contents,
        is_image=snap.is_image,
        template=snap.template,
        fingerprint=services.engine_fingerprint(),
    )


def _replayable(
    services: Services, snap: _Snapshot, key: str
) -> tuple[str | None, dict[str, ModerationResult]]:
    """The earlier task whose result this one can replay, with its results by content; (None, {}) if none."""
    settings = services.settings
    with services.db.transaction() as s:
        source = reuse.find_source(
            s, app_id=snap.app_id, key=key, evidence_days=settings.evidence_days, now=utcnow()
        )
        if source is None:
            return None, {}
        source_id, had_cover = source.task_id, bool((source.output or {}).get("CoverReviewResult"))
    base = f"evidence/{snap.app_id}/{source_id}"
    results: dict[str, ModerationResult] = {}
    wanted = [("Media", "")] if "Media" in snap.contents else []
    if had_cover:
        wanted.append(("Cover", "cover-"))
    for content, prefix in wanted:
        result = reuse.load_result(services.blobs, base, prefix=prefix)
        if result is None:  # swept or written by an older version: run the models after all
            return None, {}
        results[content] = result
    log.info("task %s reuses the result of %s (identical content and template)", snap.task_id, source_id)
    return source_id, results


def _store_result(
    services: Services, snap: _Snapshot, result: ModerationResult, *, timed: bool, prefix: str = ""
) -> dict[str, Any]:
    """Write thumbnails and the full segment list under evidence/, and the wire output with their signed URLs."""
    ttl = services.settings.evidence_days * 86400
    base = f"evidence/{snap.app_id}/{snap.task_id}"
    urls = services.urls
    for evidence in result.evidence:
        services.blobs.put_bytes(f"{base}/{prefix}{evidence.name}", evidence.data)
    for segment in result.segments:
        if segment.thumbnail and timed:
            segment.url, expires = urls.url(f"/{base}/{prefix}{segment.thumbnail}", ttl=ttl)
            segment.url_expire_time = iso(from_unix(expires))
    segments = result.all_segments_wire(timed=timed)
    services.blobs.put_bytes(
        f"{base}/{prefix}segments.json", json.dumps(segments, ensure_ascii=False).encode()
    )
    reuse.save_result(services.blobs, base, result, prefix=prefix)
    file_url, expires = urls.url(f"/{base}/{prefix}segments.json", ttl=ttl)
    out = result.to_wire(timed=timed, inline=INLINE_SEGMENTS)
    out["SegmentSetFileUrl"] = file_url
    out["SegmentSetFileUrlExpireTime"] = iso(from_unix(expires))
    return out


def review_info(
    definition: int, output: dict[str, Any], segments: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    """MediaReviewInfo / CoverReviewInfo (spec §2.9): TypeSet lists ``Form.Label`` of the flagged segments."""
    type_set: list[str] = []
    if output.get("Suggestion") != "pass":
        type_set = list(dict.fromkeys(f"{s['Form']}.{s['Label']}" for s in segments))
    return {
        "Definition": definition,
        "Suggestion": output.get("Suggestion", "pass"),
        "TypeSet": type_set,
        "ReviewTime": iso(now),
    }


def finish_succeeded(
    services: Services,
    task_id: str,
    *,
    output: dict[str, Any],
    media_result: ModerationResult | None,
    cover_result: dict[str, Any] | None,
    reuse_key: str = "",
    reused_from: str = "",
    media_digest: str = "",
) -> None:
    now = utcnow()
    with services.db.transaction() as s:
        task = s.get(Task, task_id)
        if task is None or task.status != "PROCESSING":
            return
        task.status, task.finish_at, task.progress = "FINISH", now, 1.0
        task.err_code_ext, task.message, task.output = "", "SUCCESS", output
        task.reuse_key, task.reused_from = reuse_key, reused_from
        _observe_finish(task, output, None if reused_from else media_result)
        if reused_from:
            metrics.REUSED.inc()
        media = s.get(Media, task.file_id)
        if media is not None:
            if media_result is not None:
                media.review = review_info(task.definition, output, media_result.all_segments_wire(), now)
                apply_publishing(s, media, output["Suggestion"])
            if cover_result is not None:
                media.cover_review = review_info(
                    task.definition, cover_result, cover_result.get("SegmentSet", []), now
                )
            media.updated_at = now
            if media_digest:
                media.sha256 = media_digest
                if media_result is not None:  # people decided on these bytes before: their decision holds
                    decisions.follow_identical(s, media=media, now=now)
        _emit_complete(s, task, now)
    services.wakeups.notify()


def apply_publishing(session: Session, media: Media, suggestion: str) -> None:
    """Pre-moderation publishes only what passed; post-moderation forbids what a review blocks."""
    from vodguard.store.models import App

    app = session.get(App, media.app_id)
    if app is not None and app.publish_mode == "pre":
        media.published = suggestion == "pass"
    elif suggestion == "block":
        media.status = "Forbidden"


def finish_failed(services: Services, task_id: str, *, code: str, message: str) -> None:
    now = utcnow()
    with services.db.transaction() as s:
        task = s.get(Task, task_id)
        if task is None or task.status not in ("PROCESSING", "WAITING"):
            return
        task.status, task.finish_at = "FINISH", now
        task.err_code_ext, task.message, task.output = code, message[:2000], None
        metrics.TASKS.labels(err_code_ext=code).inc()
        _emit_complete(s, task, now)
    services.wakeups.notify()


def _retry_or_fail(services: Services, snap: _Snapshot, exc: Exception) -> None:
    if isinstance(exc, ModerationError):
        message = f"{type(exc).__name__}: {exc}"
    else:
        message = f"the moderation engine failed ({type(exc).__name__})"
        log.exception("task %s failed on attempt %d", snap.task_id, snap.attempts, exc_info=exc)
    if snap.attempts >= services.settings.task_attempts:
        finish_failed(services, snap.task_id, code="InternalError", message=message)
        return
    with services.db.transaction() as s:
        task = s.get(Task, snap.task_id)
        if task is not None and task.status == "PROCESSING":
            task.status, task.message = "WAITING", message
            task_service.enqueue_after_commit(s, services, task)


def _observe_finish(task: Task, output: dict[str, Any], result: ModerationResult | None) -> None:
    metrics.TASKS.labels(err_code_ext="").inc()
    metrics.RESULTS.labels(
        suggestion=output.get("Suggestion", "pass"), label=output.get("Label") or "none"
    ).inc()
    if task.begin_at is not None and task.finish_at is not None:
        seconds = max((task.finish_at - task.begin_at).total_seconds(), 0.5)
        metrics.TASK_SECONDS.observe(seconds)
        if result is not None and result.duration:
            metrics.REALTIME.observe(result.duration / seconds)


def _emit_complete(session: Session, task: Task, now: datetime) -> None:
    body = {"ReviewAudioVideoCompleteEvent": task_service.task_wire(task)}
    events.emit(
        session,
        app_id=task.app_id,
        event_type="ReviewAudioVideoComplete",
        body=body,
        order_key=task.file_id,
        now=now,
    )


def review_image(services: Services, *, app_id: int, media: Media, definition: int) -> dict[str, Any]:
    """ReviewImage: moderate a stored image now, store the evidence, record the media's review info."""
    if media.category != "Image":
        raise_invalid(
            f"FileId {media.file_id} is a {media.category.lower()}, not an image; use ReviewAudioVideo"
        )
    limit = services.settings.review_image_max_bytes
    if media.size > limit:
        raise_invalid(f"the image is {media.size} bytes; ReviewImage takes images up to {limit} bytes")
    with services.db.transaction() as s:
        view = templates.get_review_template(s, app_id=app_id, definition=definition)
    template = engine_template(view)
    source = services.blobs.local_path(media.blob_key)
    _check_image_header(services, media, source)
    try:
        # the engine runs inside the request: a few at a time per process bound the memory and CPU (audit D5)
        with services.review_image_slots.hold():
            result = services.engine().moderate_image(source, template)
    except SlotsFull as exc:
        raise LimitExceeded(
            f"ReviewImage of FileId {media.file_id}: {exc} (VODGUARD_REVIEW_IMAGE_CONCURRENCY); retry later"
        ) from None
    except SourceFileError as exc:
        raise_invalid(f"FileId {media.file_id} cannot be read as an image: {exc}")
    snap = _Snapshot(
        task_id=f"image-{media.file_id}-{int(time.time() * 1000)}", app_id=app_id, file_id=media.file_id,
        attempts=1, priority=0, contents=["Media"], template=template, media_key=media.blob_key, cover_key="",
        is_image=True,
    )  # fmt: skip
    output = _store_result(services, snap, result, timed=False)
    digest = reuse.file_digest(source) if services.settings.reuse_results else ""
    now = utcnow()
    with services.db.transaction() as s:
        row = s.get(Media, media.file_id)
        if row is not None:
            row.review = review_info(definition, output, result.all_segments_wire(timed=False), now)
            apply_publishing(s, row, output["Suggestion"])
            row.updated_at = now  # a new result: the console asks a person again, as after a task
            if digest:
                row.sha256 = digest
                decisions.follow_identical(s, media=row, now=now)
    return output


def _check_image_header(services: Services, media: Media, source: Path) -> None:
    """Refuse a picture too big to decode in a request, from its header alone, before it waits for a slot."""
    from vodguard.moderation.config import Limits
    from vodguard.moderation.errors import MediaLimitExceeded
    from vodguard.moderation.media import check_image

    settings = services.settings
    limits = Limits(
        max_file_bytes=settings.max_upload_bytes,
        max_image_bytes=settings.review_image_max_bytes,
        max_pixels=settings.review_image_max_pixels,
    )
    try:
        check_image(source, limits)
    except MediaLimitExceeded as exc:
        raise_invalid(
            f"FileId {media.file_id} is over ReviewImage's limits: {exc} "
            "(the pixel limit is VODGUARD_REVIEW_IMAGE_MAX_PIXELS)"
        )
    except SourceFileError as exc:
        raise_invalid(f"FileId {media.file_id} cannot be read as an image: {exc}")


def raise_invalid(message: str) -> None:
    from vodguard.errors import InvalidParameterValue

    raise InvalidParameterValue(message, code="InvalidParameterValue.FileId")
