"""Running reviews: the worker's handler takes a task from the queue through the engine to its end, and ReviewImage
runs the engine inside the request.

``process`` claims the task (``services/leases.py``), runs the engine or replays an identical earlier result
(``services/reuse.py``), stores the evidence (``services/evidence.py``) and finishes the task
(``services/results.py``): the task, the media's review info, the publishing decision and the
ReviewAudioVideoComplete event in one transaction.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from vodguard.config import Settings
from vodguard.errors import InvalidParameterValue, LimitExceeded
from vodguard.moderation.errors import SourceFileError
from vodguard.moderation.types import ModerationResult
from vodguard.services import evidence, known, results, reuse, templates, wire
from vodguard.services.concurrency import SlotsFull
from vodguard.services.container import Services
from vodguard.services.leases import Heartbeat, ReviewJob, claim
from vodguard.store.models import Media
from vodguard.timeutil import utcnow

if TYPE_CHECKING:
    from vodguard.services.wire.results import ReviewOutput

log = logging.getLogger("vodguard.reviews")


def process(services: Services, task_id: str) -> None:
    """The worker's handler: run one task id from the queue to the end (or leave it to its current owner)."""
    settings = services.settings
    with services.db.transaction() as s:
        task = claim(s, task_id=task_id, lease_seconds=settings.task_lease_seconds, now=utcnow())
        if task is None:
            return
        media = s.get(Media, task.file_id)
        job = ReviewJob.of(task, media, s)
    if job.error:
        results.finish_failed(
            services.db, services.wakeups, task_id=task_id, code="SourceFileError", message=job.error
        )
        return
    heartbeat = Heartbeat(services.db, task_id, settings.task_lease_seconds)
    try:
        run = run_engine(services, job, heartbeat)
    except SourceFileError as exc:
        heartbeat.stop()
        results.finish_failed(
            services.db, services.wakeups, task_id=task_id, code="SourceFileError", message=str(exc)
        )
        return
    except Exception as exc:
        heartbeat.stop()
        results.retry_or_fail(
            services.db, services.wakeups, queue=services.queue, job=job, exc=exc,
            attempts=settings.task_attempts, lease_seconds=settings.task_lease_seconds,
        )  # fmt: skip
        return
    heartbeat.stop()
    if heartbeat.lost:
        log.warning("task %s was taken from this worker (lease lost); its result is dropped", task_id)
        return
    results.finish_succeeded(
        services.db, services.wakeups, task_id=task_id, output=run.output, media_result=run.media_result,
        cover_result=run.cover_result, reuse_key=run.reuse_key, reused_from=run.reused_from,
        media_digest=run.media_digest,
    )  # fmt: skip


@dataclass
class Outcome:
    """A task's result: the wire output, the engine results behind it, and how it can be found again."""

    output: ReviewOutput
    media_result: ModerationResult | None
    cover_result: ReviewOutput | None
    reuse_key: str = ""
    reused_from: str = ""  # the earlier task whose result was replayed
    media_digest: str = ""  # SHA-256 of the media's bytes, when reuse hashed them


def run_engine(services: Services, job: ReviewJob, heartbeat: Heartbeat) -> Outcome:
    """Moderate the job's media and cover, or replay an identical earlier result, and store the evidence."""
    engine = services.engine()
    settings, blobs = services.settings, services.blobs
    assert job.template is not None
    digest = key = ""
    if settings.reuse_results:
        try:
            digest = reuse.file_digest(blobs.local_path(job.media_key))
            key = reuse.job_key(blobs, job, media_digest=digest, fingerprint=services.engine_fingerprint())
        except OSError:  # the bytes are gone: the engine says so below, as a SourceFileError
            digest = key = ""
    source, replayed = (
        reuse.replayable(services.db, blobs, job, key=key, evidence_days=settings.evidence_days)
        if key
        else (None, {})
    )
    deadline = time.monotonic() + settings.task_wall_seconds
    base = f"evidence/{job.app_id}/{job.task_id}"
    ttl = settings.evidence_days * 86400
    media_result = None
    output = wire.results.empty_output()
    match = None
    if "Media" in job.contents:
        path = blobs.local_path(job.media_key)

        def progress(stage: str, fraction: float) -> None:
            heartbeat.progress = round(min(max(fraction, 0.0), 1.0), 3)

        if "Media" in replayed:
            media_result = replayed["Media"]
            known.check_replayed(services, job.app_id, path, media_result)
            match = known.resolve_match(services.db, job.app_id, media_result, job.file_id)
        else:
            bank = known.lookup_for(services.db, job.app_id)
            if job.is_image:
                media_result = engine.moderate_image(path, job.template, known=bank)
            else:
                media_result = engine.moderate_media(
                    path, job.template, progress=progress, deadline=deadline, known=bank
                )
            match = known.resolve_match(services.db, job.app_id, media_result, job.file_id)
        output = evidence.store_result(
            blobs, services.urls, base=base, result=media_result, timed=not job.is_image, ttl=ttl
        )
        if match is not None:
            output["KnownContentMatch"] = match
    cover_result = None
    if "Cover" in replayed:
        cover_result = evidence.store_result(
            blobs, services.urls, base=base, result=replayed["Cover"], timed=False, ttl=ttl, prefix="cover-"
        )
    elif "Cover" in job.contents and job.cover_key and source is None:
        try:
            cover = engine.moderate_image(blobs.local_path(job.cover_key), job.template)
            cover_result = evidence.store_result(
                blobs, services.urls, base=base, result=cover, timed=False, ttl=ttl, prefix="cover-"
            )
        except SourceFileError as exc:
            log.info("cover of %s could not be reviewed: %s", job.file_id, exc)
    output["CoverReviewResult"] = cover_result
    if match is not None:  # a verdict of the bank as it is now: a later copy must ask the bank again
        key = ""
    return Outcome(output, media_result, cover_result, key, source or "", digest)


def review_image(services: Services, *, app_id: int, media: Media, definition: int) -> ReviewOutput:
    """ReviewImage: moderate a stored image now, store the evidence, record the media's review info."""
    settings = services.settings
    with services.db.transaction() as s:
        view = templates.get_review_template(s, app_id=app_id, definition=definition)
    if media.category != "Image":
        raise_invalid(
            f"FileId {media.file_id} is a {media.category.lower()}, not an image; use ReviewAudioVideo"
        )
    limit = settings.review_image_max_bytes
    if media.size > limit:
        raise_invalid(f"the image is {media.size} bytes; ReviewImage takes images up to {limit} bytes")
    template = templates.engine_template(view)
    source = services.blobs.local_path(media.blob_key)
    _check_image_header(settings, media, source)
    try:
        # the engine runs inside the request: a few at a time per process bound the memory and CPU (audit D5)
        with services.review_image_slots.hold():
            bank = known.lookup_for(services.db, app_id)
            result = services.engine().moderate_image(source, template, known=bank)
            match = known.resolve_match(services.db, app_id, result, media.file_id)
    except SlotsFull as exc:
        raise LimitExceeded(
            f"ReviewImage of FileId {media.file_id}: {exc} (VODGUARD_REVIEW_IMAGE_CONCURRENCY); retry later"
        ) from None
    except SourceFileError as exc:
        raise_invalid(f"FileId {media.file_id} cannot be read as an image: {exc}")
    # ReviewImage has no task: its evidence folder is named for the FileId and the time (services/media.py)
    base = f"evidence/{app_id}/image-{media.file_id}-{int(time.time() * 1000)}"
    output = evidence.store_result(
        services.blobs,
        services.urls,
        base=base,
        result=result,
        timed=False,
        ttl=settings.evidence_days * 86400,
    )
    if match is not None:
        output["KnownContentMatch"] = match
    digest = reuse.file_digest(source) if settings.reuse_results else ""
    now = utcnow()
    with services.db.transaction() as s:
        row = s.get(Media, media.file_id)
        if row is not None:
            results.record_review(
                s, row, definition=definition, output=output, segments=wire.results.segment_set(result.segments, timed=False),
                digest=digest, now=now,
            )  # fmt: skip
    return output


def _check_image_header(settings: Settings, media: Media, source: Path) -> None:
    """Refuse a picture too big to decode in a request, from its header alone, before it waits for a slot."""
    from vodguard.moderation.config import Limits
    from vodguard.moderation.errors import MediaLimitExceeded
    from vodguard.moderation.media import check_image

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


def raise_invalid(message: str) -> NoReturn:
    raise InvalidParameterValue(message, code="InvalidParameterValue.FileId")
