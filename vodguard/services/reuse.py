"""Identical content, identical verdict: a finished review is reused for a later task on the same bytes.

Apps see the same file many times (re-posts, retried uploads, a client that uploads twice). When a task's media
(and cover, if reviewed) hash to the same SHA-256 as an earlier task's of the same app, under the same template
and the same engine, the earlier result is replayed instead of running the models again: the new task gets its
own copy of the evidence and its own signed URLs, so nothing it returns depends on the older task.

The reuse key covers everything that decides a result: the content digests, what is reviewed, the template's
labels, thresholds, early exit and custom labels (their examples), and the engine's fingerprint (vodguard's moderation code and word lists, the
model packages' versions, operator model files, sampling settings). Change any of them and the models run again.
Only successful results are reused, and only while the earlier task's evidence is still kept. A worker asks
``job_key`` for a claimed job's key and ``replayable`` for the earlier result it may replay.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from vodguard.moderation.types import EvidenceFile, ModerationResult, Segment, Signal, Template
from vodguard.services.leases import ReviewJob
from vodguard.store.blobs import BlobStore
from vodguard.store.db import Database
from vodguard.store.models import Task
from vodguard.timeutil import utcnow

log = logging.getLogger("vodguard.reviews")
RESULT_FILE = "result.json"
# An evidence folder younger than the evidence lifetime by this much is still there when the copy is made.
_SWEEP_MARGIN = timedelta(hours=1)


def file_digest(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB pieces (MD5 would let a crafted collision inherit another file's pass)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def reuse_key(
    *,
    media_digest: str,
    cover_digest: str,
    contents: list[str],
    is_image: bool,
    template: Template,
    fingerprint: str,
) -> str:
    """The key under which a successful result can stand in for a new run."""
    parts = {
        "media": media_digest,
        "cover": cover_digest if "Cover" in contents else "",
        "contents": sorted(contents),
        "image": is_image,
        "labels": sorted(template.labels),
        "thresholds": {k: [v.review, v.block] for k, v in sorted(template.thresholds.items())},
        "early_exit": template.early_exit,
        "engine": fingerprint,
    }
    if template.custom_labels:  # added only when there are some, so other templates keep their earlier keys
        parts["custom_labels"] = sorted(c.digest for c in template.custom_labels)
    if template.budget != "balanced":  # likewise: a fast review must not stand in for a thorough one
        parts["budget"] = template.budget
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def find_source(session: Session, *, app_id: int, key: str, evidence_days: int, now: datetime) -> Task | None:
    """The newest successful task of the app with this reuse key whose evidence is still kept."""
    since = now - timedelta(days=evidence_days) + _SWEEP_MARGIN
    query = (
        select(Task)
        .where(
            Task.app_id == app_id,
            Task.reuse_key == key,
            Task.status == "FINISH",
            Task.err_code_ext == "",
            Task.finish_at >= since,
        )
        .order_by(Task.finish_at.desc())
        .limit(1)
    )
    return session.scalars(query).first()


_SEGMENT_FIELDS = frozenset(f.name for f in dataclasses.fields(Segment))


def save_result(blobs: BlobStore, base: str, result: ModerationResult, *, prefix: str = "") -> None:
    """Keep the engine's result beside its evidence, so that a later task on the same bytes can replay it."""
    record = {
        "suggestion": result.suggestion,
        "label": result.label,
        "form": result.form,
        "duration": result.duration,
        "segments": [dataclasses.asdict(s) for s in result.segments],
    }
    blobs.put_bytes(f"{base}/{prefix}{RESULT_FILE}", json.dumps(record, ensure_ascii=False).encode())


def load_result(blobs: BlobStore, base: str, *, prefix: str = "") -> ModerationResult | None:
    """The result ``save_result`` kept under ``base``, with its thumbnails; None if any piece is gone."""
    key = f"{base}/{prefix}{RESULT_FILE}"
    if not blobs.exists(key):
        return None
    with blobs.open(key) as f:
        record = json.load(f)
    segments: list[Segment] = []
    evidence: list[EvidenceFile] = []
    for raw in record["segments"]:
        raw["box"] = tuple(raw["box"]) if raw.get("box") else None
        raw["keywords"] = tuple(raw.get("keywords") or ())
        # Older versions kept a segment's URL in it too ("url", "url_expire_time"): only the engine's fields count.
        fields = {k: v for k, v in raw.items() if k in _SEGMENT_FIELDS}
        fields["signals"] = tuple(Signal(**s) for s in raw.get("signals") or ())  # absent in older results
        segment = Segment(**fields)
        if segment.thumbnail:
            thumb = f"{base}/{prefix}{segment.thumbnail}"
            if not blobs.exists(thumb):
                return None
            with blobs.open(thumb) as f:
                evidence.append(EvidenceFile(name=segment.thumbnail, data=f.read()))
        segments.append(segment)
    return ModerationResult(
        suggestion=record["suggestion"],
        label=record["label"],
        form=record["form"],
        segments=segments,
        evidence=evidence,
        duration=float(record.get("duration") or 0.0),
    )


def job_key(blobs: BlobStore, job: ReviewJob, *, media_digest: str, fingerprint: str) -> str:
    """The job's reuse key; hashes the cover's bytes when the cover is reviewed."""
    assert job.template is not None
    cover_digest = ""
    if "Cover" in job.contents and job.cover_key:
        cover_digest = file_digest(blobs.local_path(job.cover_key))
    return reuse_key(
        media_digest=media_digest,
        cover_digest=cover_digest,
        contents=job.contents,
        is_image=job.is_image,
        template=job.template,
        fingerprint=fingerprint,
    )


def replayable(
    db: Database, blobs: BlobStore, job: ReviewJob, *, key: str, evidence_days: int
) -> tuple[str | None, dict[str, ModerationResult]]:
    """The earlier task whose result this job can replay, with its results by content; (None, {}) if none."""
    with db.transaction() as s:
        source = find_source(s, app_id=job.app_id, key=key, evidence_days=evidence_days, now=utcnow())
        if source is None:
            return None, {}
        source_id, had_cover = source.task_id, bool((source.output or {}).get("CoverReviewResult"))
    base = f"evidence/{job.app_id}/{source_id}"
    results: dict[str, ModerationResult] = {}
    wanted = [("Media", "")] if "Media" in job.contents else []
    if had_cover:
        wanted.append(("Cover", "cover-"))
    for content, prefix in wanted:
        result = load_result(blobs, base, prefix=prefix)
        if result is None:  # swept or written by an older version: run the models after all
            return None, {}
        results[content] = result
    log.info("task %s reuses the result of %s (identical content and template)", job.task_id, source_id)
    return source_id, results
