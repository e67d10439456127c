"""Read models for the web console: the review queue, media search, the latest result of a media, dashboard figures.

Everything here is filtered by ``app_id`` (apps are walls) and runs in the caller's session. Time buckets and
label counts are computed in Python over narrow column selections so the same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from vodguard.errors import InvalidParameterValue
from vodguard.moderation.types import Segment, Signal
from vodguard.services import apps, reuse
from vodguard.store.blobs import BlobStore
from vodguard.store.models import ApiKey, Media, ReviewDecision, Task

QUEUE_FILTERS = {"review": ("review",), "block": ("block",), "all": ("review", "block")}
SUGGESTIONS = ("pass", "review", "block", "none")


def _suggestion_column() -> Any:
    return Media.review["Suggestion"].as_string()


def _undecided() -> Any:
    """No decision was taken since the media last changed (a new review result brings it back to the queue)."""
    return ~exists(
        select(ReviewDecision.id).where(
            ReviewDecision.app_id == Media.app_id,
            ReviewDecision.file_id == Media.file_id,
            ReviewDecision.created_at >= Media.updated_at,
        )
    )


def _queue_query(app_id: int, which: str) -> Any:
    if which not in QUEUE_FILTERS:
        raise InvalidParameterValue(f"queue filter {which!r} must be review, block or all")
    return select(Media).where(
        Media.app_id == app_id, _suggestion_column().in_(QUEUE_FILTERS[which]), _undecided()
    )


def review_queue(session: Session, *, app_id: int, which: str = "review", limit: int = 100) -> list[Media]:
    """Media whose latest review suggests ``which`` and that no person decided on since, oldest upload first."""
    query = _queue_query(app_id, which).order_by(Media.created_at.asc(), Media.file_id.asc())
    return list(session.scalars(query.limit(limit)))


def queue_counts(session: Session, *, app_id: int, which: str = "review") -> tuple[int, dict[str, int]]:
    """How many media wait in the queue, and how many of them carry each label (from the review's TypeSet)."""
    sub = _queue_query(app_id, which).with_only_columns(Media.review)
    labels: Counter[str] = Counter()
    total = 0
    for review in session.scalars(sub):
        total += 1
        for label in {t.split(".", 1)[-1] for t in (review or {}).get("TypeSet", [])}:
            labels[label] += 1
    return total, dict(labels.most_common())


def tab_counts(session: Session, *, app_id: int) -> dict[str, int]:
    """How many media wait under each of the queue's tabs (``review``, ``block``, ``all``)."""
    return {
        which: int(
            session.execute(
                select(func.count()).select_from(_queue_query(app_id, which).subquery())
            ).scalar_one()
        )
        for which in QUEUE_FILTERS
    }


def queue_neighbours(
    session: Session, *, app_id: int, file_id: str, which: str = "review"
) -> tuple[str | None, str | None]:
    """The FileIds before and after ``file_id`` in the queue (None at either end or when it is not queued)."""
    ids = list(
        session.scalars(
            _queue_query(app_id, which)
            .with_only_columns(Media.file_id)
            .order_by(Media.created_at.asc(), Media.file_id.asc())
        )
    )
    if file_id not in ids:
        return None, ids[0] if ids else None
    at = ids.index(file_id)
    return (ids[at - 1] if at > 0 else None), (ids[at + 1] if at + 1 < len(ids) else None)


def latest_tasks(session: Session, *, app_id: int, file_ids: list[str]) -> dict[str, Task]:
    """The most recent finished task with an output for each FileId that has one."""
    if not file_ids:
        return {}
    rows = session.scalars(
        select(Task)
        .where(
            Task.app_id == app_id,
            Task.file_id.in_(file_ids),
            Task.status == "FINISH",
            Task.output.is_not(None),
        )
        .order_by(Task.finish_at.desc(), Task.task_id.desc())
    )
    latest: dict[str, Task] = {}
    for task in rows:
        latest.setdefault(task.file_id, task)
    return latest


def pending_file_ids(session: Session, *, app_id: int, file_ids: list[str]) -> set[str]:
    """The FileIds among ``file_ids`` with a review task waiting for a worker or running."""
    if not file_ids:
        return set()
    return set(
        session.scalars(
            select(Task.file_id).where(
                Task.app_id == app_id, Task.file_id.in_(file_ids), Task.status.in_(("WAITING", "PROCESSING"))
            )
        )
    )


def full_segments(blobs: BlobStore, task: Task) -> list[dict[str, Any]]:
    """Every segment of a finished task: the evidence file when it is still kept, else the inline ones."""
    key = f"evidence/{task.app_id}/{task.task_id}/segments.json"
    if blobs.exists(key):
        try:
            with blobs.open(key) as f:
                return list(json.loads(f.read()))
        except (OSError, ValueError):
            pass
    return list((task.output or {}).get("SegmentSet") or [])


def segment_reasons(blobs: BlobStore, task: Task) -> list[str]:
    """Per segment of ``full_segments``, in the same order: which picture models agreed and why ("" for other
    segments), from the engine's own result kept beside the evidence; [] once that is gone."""
    key = f"evidence/{task.app_id}/{task.task_id}/{reuse.RESULT_FILE}"
    if not blobs.exists(key):
        return []
    try:
        with blobs.open(key) as f:
            record = json.loads(f.read())
        return [
            Segment(
                form=raw["form"],
                label=raw["label"],
                sub_label=raw["sub_label"],
                suggestion=raw["suggestion"],
                confidence=raw["confidence"],
                signals=tuple(Signal(**s) for s in raw.get("signals") or ()),
                rule=raw.get("rule", ""),
            ).why
            for raw in record["segments"]
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def media_names(session: Session, *, app_id: int, file_ids: list[str]) -> dict[str, str]:
    """FileId -> name for those of ``file_ids`` that still exist in the app."""
    if not file_ids:
        return {}
    query = select(Media.file_id, Media.name).where(Media.app_id == app_id, Media.file_id.in_(file_ids))
    return {file_id: name for file_id, name in session.execute(query)}


@dataclass
class MediaSearch:
    """The media library's filters; empty fields do not filter."""

    name: str = ""
    file_id: str = ""
    suggestion: str = ""  # pass / review / block / none (never reviewed)
    label: str = ""
    created_from: datetime | None = None
    created_to: datetime | None = None  # exclusive
    offset: int = 0
    limit: int = 50


def search_media(session: Session, *, app_id: int, search: MediaSearch) -> tuple[int, list[Media]]:
    """The app's media matching ``search``, newest first, and how many match in all."""
    if search.suggestion and search.suggestion not in SUGGESTIONS:
        raise InvalidParameterValue(
            f"suggestion {search.suggestion!r} must be one of {', '.join(SUGGESTIONS)}"
        )
    query = select(Media).where(Media.app_id == app_id)
    if search.name:
        pattern = "%" + search.name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Media.name.ilike(pattern, escape="\\"))
    if search.file_id:
        query = query.where(Media.file_id == search.file_id.strip())
    if search.suggestion == "none":
        query = query.where(or_(Media.review.is_(None), _suggestion_column().is_(None)))
    elif search.suggestion:
        query = query.where(_suggestion_column() == search.suggestion)
    if search.label:
        # TypeSet holds "Form.Label" strings; matching the JSON text keeps this portable across databases.
        query = query.where(cast(Media.review, String).like(f'%.{search.label}"%'))
    if search.created_from:
        query = query.where(Media.created_at >= search.created_from)
    if search.created_to:
        query = query.where(Media.created_at < search.created_to)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Media.created_at.desc(), Media.file_id.desc())
        .offset(search.offset)
        .limit(search.limit)
    )
    return total, list(rows)


def app_keys(session: Session, *, app_id: int) -> list[ApiKey]:
    """The app's keys, live and revoked, oldest first."""
    return [key for key in apps.list_keys(session) if key.app_id == app_id]


def live_key(session: Session, *, app_id: int) -> ApiKey | None:
    """One live key of the app (the newest), used to sign browser uploads; None when every key is revoked."""
    return session.scalar(
        select(ApiKey)
        .where(ApiKey.app_id == app_id, ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.created_at.desc())
        .limit(1)
    )


@dataclass
class Dashboard:
    """What the dashboard shows: per-bucket series, and the current queue depth and throughput."""

    buckets: list[datetime]
    uploads: list[int]
    tasks: list[int]
    results: dict[str, list[int]]  # suggestion -> per-bucket count of finished tasks
    waiting: int
    processing: int
    in_review_queue: int
    finished: int = 0
    media_seconds: float = 0.0
    processing_seconds: float = 0.0
    failures: int = 0
    labels: dict[str, int] = field(default_factory=dict)

    @property
    def throughput(self) -> float | None:
        """Seconds of media moderated per second of processing (× real time), None without data."""
        if self.processing_seconds <= 0:
            return None
        return self.media_seconds / self.processing_seconds


def _bucket_index(when: datetime, start: datetime, step: timedelta, count: int) -> int | None:
    at = int((when - start) / step)
    return at if 0 <= at < count else None


def dashboard(session: Session, *, app_id: int, now: datetime, span: timedelta, step: timedelta) -> Dashboard:
    """Uploads, tasks and results per ``step`` over the last ``span``, queue depth, and throughput."""
    count = max(1, int(span / step))
    start = now - step * count
    buckets = [start + step * i for i in range(count)]
    uploads = [0] * count
    created = [0] * count
    results: dict[str, list[int]] = {s: [0] * count for s in ("pass", "review", "block", "error")}
    for when in session.scalars(
        select(Media.created_at).where(Media.app_id == app_id, Media.created_at >= start)
    ):
        at = _bucket_index(when, start, step, count)
        if at is not None:
            uploads[at] += 1
    for when in session.scalars(
        select(Task.created_at).where(Task.app_id == app_id, Task.created_at >= start)
    ):
        at = _bucket_index(when, start, step, count)
        if at is not None:
            created[at] += 1
    board = Dashboard(buckets, uploads, created, results, 0, 0, 0)
    finished = session.execute(
        select(Task.finish_at, Task.begin_at, Task.err_code_ext, Task.output, Media.meta)
        .outerjoin(Media, Media.file_id == Task.file_id)
        .where(Task.app_id == app_id, Task.status == "FINISH", Task.finish_at >= start)
    )
    for finish_at, begin_at, err, output, meta in finished:
        kind = "error" if err else str((output or {}).get("Suggestion") or "pass")
        at = _bucket_index(finish_at, start, step, count)
        if at is not None and kind in results:
            results[kind][at] += 1
        board.finished += 1
        board.failures += bool(err)
        duration = float((meta or {}).get("Duration") or 0.0)
        if not err and begin_at is not None and duration > 0:
            board.media_seconds += duration
            # Task times have whole-second resolution: a task that took under a second counts as one.
            board.processing_seconds += max((finish_at - begin_at).total_seconds(), 1.0)
    states = dict(
        session.execute(
            select(Task.status, func.count())
            .where(Task.app_id == app_id, Task.status.in_(("WAITING", "PROCESSING")))
            .group_by(Task.status)
        ).all()
    )
    board.waiting, board.processing = int(states.get("WAITING", 0)), int(states.get("PROCESSING", 0))
    board.in_review_queue, board.labels = queue_counts(session, app_id=app_id, which="all")
    return board
