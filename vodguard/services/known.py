"""Banks of known content: entries (media a person blocked, files and hash lists operators added) and their frame
hashes, the hooks that keep a bank in step with people's decisions, and the evidence of a match.

* A person's block (SetReviewDecision, the console) has the media's frames (``moderation.known.hash_file``) added
  under the label of its review, with the FileId and the reason; a later approve of that media removes its
  entries. Approvals add nothing, and neither do blocks vodguard takes over from identical bytes. How a block
  reaches the bank, durably, is ``services/known_banking.py``.
* A review gets ``lookup_for`` (None for an empty bank, so an empty bank costs one indexed query per task) and,
  when the engine reports a match, ``resolve_match`` names the entry in the result: its label, a block segment, and
  the ``KnownContentMatch`` evidence that DescribeTaskDetail, the event and the console show.

Lists (CSV) are in ``services/known_lists.py``; the SQL lookup in ``services/known_lookup.py``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from vodguard.config import Settings
from vodguard.errors import N_, InvalidParameterValue, ResourceNotFound, Words
from vodguard.moderation.config import Limits
from vodguard.moderation.errors import ModerationError
from vodguard.moderation.types import LABELS, ModerationResult, Segment
from vodguard.services import media as media_service
from vodguard.services import wire
from vodguard.services.container import Services
from vodguard.services.known_lookup import SqlKnownLookup, bank_is_empty, chunks, to_signed, to_unsigned
from vodguard.store.db import Database, migrate
from vodguard.store.models import KnownEntry, KnownFrame, ReviewDecision
from vodguard.timeutil import iso, utcnow

log = logging.getLogger("vodguard.known")
KINDS = ("video", "picture")
DEFAULT_LABEL = "Illegal"  # a person's block of media no review flagged: the label that covers "not allowed"
_PICTURE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM")


def check_entry_fields(*, label: str, sub_label: str = "", reason: str = "") -> None:
    """Refuse a label outside the wire's labels, or fields longer than their columns, naming the field."""
    if label not in LABELS:
        raise InvalidParameterValue(
            N_("Label %(label)r must be one of %(labels)s"),
            params={"label": label, "labels": Words(*LABELS, context="label")}, code="InvalidParameterValue.Label",
        )  # fmt: skip
    if len(sub_label) > 64:
        raise InvalidParameterValue(
            N_("SubLabel is longer than 64 characters"), code="InvalidParameterValue.SubLabel"
        )
    if len(reason) > 512:
        raise InvalidParameterValue(
            N_("Reason is longer than 512 characters"), code="InvalidParameterValue.Reason"
        )


def add_entry(
    session: Session,
    *,
    app_id: int,
    label: str,
    kind: str,
    origin: str,
    frames: Sequence[tuple[float, int]],
    now: datetime,
    sub_label: str = "",
    reason: str = "",
    file_id: str = "",
    source_name: str = "",
    created_by: str = "",
) -> KnownEntry:
    """Add an entry with its frame hashes, ``(time, 64-bit hash)`` pairs, in the session's transaction."""
    check_entry_fields(label=label, sub_label=sub_label, reason=reason)
    if kind not in KINDS:
        raise InvalidParameterValue(
            f"Kind {kind!r} must be video or picture", code="InvalidParameterValue.Kind"
        )
    if not frames:
        raise InvalidParameterValue(
            f"{source_name or file_id or 'the entry'} has no frame to hash",
            code="InvalidParameterValue.Frames",
        )
    entry = KnownEntry(
        id=f"known-{secrets.token_hex(8)}", app_id=app_id, label=label, sub_label=sub_label, reason=reason,
        file_id=file_id, source_name=source_name[:256], kind=kind, origin=origin, created_by=created_by[:128],
        created_at=now,
    )  # fmt: skip
    session.add(entry)
    session.flush()
    rows = []
    for time, value in frames:
        k0, k1, k2 = chunks(value)
        rows.append(
            {"entry_id": entry.id, "app_id": app_id, "time": float(time), "hash": to_signed(value),
             "k0": k0, "k1": k1, "k2": k2}
        )  # fmt: skip
    session.execute(insert(KnownFrame), rows)
    return entry


def get_entry(session: Session, *, app_id: int, entry_id: str) -> KnownEntry:
    entry = session.get(KnownEntry, entry_id)
    if entry is None or entry.app_id != app_id:
        raise ResourceNotFound(
            N_("EntryId %(entry_id)s does not exist"), params={"entry_id": entry_id},
            code="ResourceNotFound.EntryId",
        )  # fmt: skip
    return entry


def remove_entry(session: Session, *, app_id: int, entry_id: str) -> None:
    entry = get_entry(session, app_id=app_id, entry_id=entry_id)
    session.execute(delete(KnownFrame).where(KnownFrame.entry_id == entry.id))
    session.delete(entry)


def remove_media_entries(session: Session, *, app_id: int, file_id: str) -> int:
    """Remove every entry taken from this media; how many there were."""
    ids = list(
        session.scalars(
            select(KnownEntry.id).where(KnownEntry.app_id == app_id, KnownEntry.file_id == file_id)
        )
    )
    if ids:
        session.execute(delete(KnownFrame).where(KnownFrame.entry_id.in_(ids)))
        session.execute(delete(KnownEntry).where(KnownEntry.id.in_(ids)))
    return len(ids)


def list_entries(
    session: Session, *, app_id: int, offset: int = 0, limit: int = 100
) -> list[tuple[KnownEntry, int]]:
    """The app's entries, newest first, each with its number of frame hashes."""
    entries = list(
        session.scalars(
            select(KnownEntry)
            .where(KnownEntry.app_id == app_id)
            .order_by(KnownEntry.created_at.desc(), KnownEntry.id)
            .offset(offset)
            .limit(limit)
        )
    )
    counts: dict[str, int] = {}
    if entries:
        counts = {
            entry_id: n
            for entry_id, n in session.execute(
                select(KnownFrame.entry_id, func.count())
                .where(KnownFrame.entry_id.in_([e.id for e in entries]))
                .group_by(KnownFrame.entry_id)
            )
        }
    return [(e, counts.get(e.id, 0)) for e in entries]


def count_entries(session: Session, *, app_id: int) -> int:
    return int(
        session.scalar(select(func.count()).select_from(KnownEntry).where(KnownEntry.app_id == app_id)) or 0
    )


def entry_frames(session: Session, *, entry_id: str) -> list[tuple[float, int]]:
    rows = session.execute(
        select(KnownFrame.time, KnownFrame.hash)
        .where(KnownFrame.entry_id == entry_id)
        .order_by(KnownFrame.time)
    )
    return [(time, to_unsigned(value)) for time, value in rows]


# --- hashing ---------------------------------------------------------------------------------------------------


def is_picture(path: Path) -> bool:
    """A still or animated picture (JPEG, PNG, GIF, BMP, WebP), by its first bytes."""
    with path.open("rb") as fh:
        head = fh.read(16)
    return head.startswith(_PICTURE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def hash_path(path: Path, limits: Limits) -> list[tuple[float, int]]:
    """``(time, hash)`` of the file's frames sampled at 1 fps (a picture: one), the straight hashes only: a lookup
    tries the flipped hash of every reviewed frame, which finds mirrored copies."""
    from vodguard.moderation.known import hash_file

    return [(f.time, f.straight) for f in hash_file(path, limits)]


def add_file(
    db: Database, *, app_id: int, path: Path, label: str, limits: Limits, sub_label: str = "", reason: str = "",
    created_by: str = "", now: datetime | None = None,
) -> KnownEntry:  # fmt: skip
    """Hash a local file and add it as an entry (``vodguard known add``)."""
    check_entry_fields(label=label, sub_label=sub_label, reason=reason)
    kind = "picture" if is_picture(path) else "video"
    frames = hash_path(path, limits)
    with db.transaction() as s:
        return add_entry(
            s, app_id=app_id, label=label, sub_label=sub_label, reason=reason, source_name=path.name, kind=kind,
            origin="file", created_by=created_by, frames=frames, now=now or utcnow(),
        )  # fmt: skip


def add_media(
    services: Services, *, app_id: int, file_id: str, label: str, sub_label: str = "", reason: str = "",
    created_by: str = "", origin: str = "media",
) -> KnownEntry:  # fmt: skip
    """Hash a stored media (by FileId) and add it as an entry (CreateKnownContent, the console)."""
    check_entry_fields(label=label, sub_label=sub_label, reason=reason)
    with services.db.transaction() as s:
        media = media_service.get_media(s, app_id=app_id, file_id=file_id)
        key, name, category = media.blob_key, media.name, media.category
    if category == "Audio":
        raise InvalidParameterValue(
            f"FileId {file_id} is audio: only pictures and videos have frames",
            code="InvalidParameterValue.FileId",
        )
    try:
        frames = hash_path(services.blobs.local_path(key), services.engine().config.limits)
    except (ModerationError, OSError) as exc:
        raise InvalidParameterValue(
            f"FileId {file_id} cannot be hashed: {exc}", code="InvalidParameterValue.FileId"
        ) from None
    with services.db.transaction() as s:
        return add_entry(
            s, app_id=app_id, label=label, sub_label=sub_label, reason=reason, file_id=file_id, source_name=name,
            kind="picture" if category == "Image" else "video", origin=origin, created_by=created_by,
            frames=frames, now=utcnow(),
        )  # fmt: skip


# --- people's decisions ----------------------------------------------------------------------------------------


def review_label(review: Mapping[str, Any] | None) -> str:
    """The label a person's block banks by default: the first label the media's latest review flagged."""
    for kind in (review or {}).get("TypeSet") or []:
        label = str(kind).split(".", 1)[-1]
        if label in LABELS:
            return label
    return DEFAULT_LABEL


# --- matches ---------------------------------------------------------------------------------------------------


def lookup_for(db: Database, app_id: int) -> SqlKnownLookup | None:
    """The app's bank as the engine's lookup, or None when it is empty (the engine then hashes nothing)."""
    return None if bank_is_empty(db, app_id) else SqlKnownLookup(db, app_id)


def check_replayed(services: Services, app_id: int, path: Path, result: ModerationResult) -> None:
    """Match a replayed result's file against the bank as it is now (``services/reuse.py`` replays the models'
    verdict on identical bytes, but the bank may have changed since): hashing alone, no model runs."""
    lookup = lookup_for(services.db, app_id)
    if lookup is None:
        return
    from vodguard.moderation.known import KnownMatcher, hash_file

    matcher = KnownMatcher(lookup)
    matcher.add_hashes(hash_file(path, services.engine().config.limits, crops=(1.0,)))  # as a review hashes
    result.known_match = matcher.match()
    if result.known_match is not None:
        result.suggestion = "block"


def _rank(suggestion: str) -> int:
    return {"pass": 0, "review": 1, "block": 2}.get(suggestion, 0)


def _approved(session: Session, app_id: int, file_id: str) -> bool:
    latest = session.scalars(
        select(ReviewDecision.decision)
        .where(ReviewDecision.app_id == app_id, ReviewDecision.file_id == file_id)
        .order_by(ReviewDecision.id.desc())
        .limit(1)
    ).first()
    return latest == "approve"


def match_summary(entry: KnownEntry) -> str:
    """One line for people: what the media matched, and who blocked it when and why."""
    when = iso(entry.created_at)[:10]
    reason = f" for {entry.reason}" if entry.reason else ""
    if entry.origin == "decision":
        return f"matches media {entry.file_id}, blocked by a person on {when}{reason}"
    source = entry.file_id or entry.source_name or entry.id
    return f"matches known content {source} ({entry.id}), added on {when}{reason}"


def resolve_match(
    db: Database, app_id: int, result: ModerationResult, file_id: str = ""
) -> wire.results.KnownContentMatch | None:
    """Name the bank entry the engine matched: the result takes its label and a block segment that says what it
    matched, and the returned ``KnownContentMatch`` is the evidence for the task's output. None: no match, the
    entry was removed while the review ran, or a person's latest word on this very media (``file_id``) is an
    approval, which a copy's block does not overrule."""
    match = result.known_match
    if match is None:
        return None
    with db.transaction() as s:
        entry = s.get(KnownEntry, match.entry_id)
        if entry is None or entry.app_id != app_id or (file_id and _approved(s, app_id, file_id)):
            result.known_match = None
            if result.suggestion == "block" and not any(seg.suggestion == "block" for seg in result.segments):
                result.suggestion = max(
                    (seg.suggestion for seg in result.segments), key=_rank, default="pass"
                )
            return None
        frames = sorted(match.frames, key=lambda f: f.time)
        summary = match_summary(entry)
        evidence = wire.known.known_match(entry, frames, score=match.score, summary=summary)
    result.suggestion, result.label, result.form = "block", entry.label, "Image"
    start = frames[0].time if frames else 0.0
    end = frames[-1].time if frames else 0.0
    segment = Segment(
        form="Image", label=entry.label, sub_label=entry.sub_label or "KnownContent", suggestion="block",
        confidence=100.0, start=start, end=end, text=summary,
    )  # fmt: skip
    result.segments.insert(0, segment)
    return evidence


def local_app(session: Session, app_id: int | None) -> int | None:
    """The app whose bank the command line uses: ``app_id`` if given (it must exist), else the first app of the
    data directory (the one ``vodguard serve`` creates on its first start); None when there is none."""
    from vodguard.services import apps

    if app_id is not None:
        return apps.get_app(session, app_id).id
    return apps.first_app_id(session)


@dataclass
class LocalBank:
    """The bank of an app in a data directory, as ``vodguard review`` uses it without a server."""

    db: Database
    app_id: int

    def lookup(self) -> SqlKnownLookup | None:
        return lookup_for(self.db, self.app_id)

    def resolve(self, result: ModerationResult) -> wire.results.KnownContentMatch | None:
        return resolve_match(self.db, self.app_id, result)


def local_bank(settings: Settings) -> LocalBank | None:
    """The first app's bank of an existing data directory; None when the data directory (or its database) does
    not exist, or has no app: a local review creates nothing."""
    if not settings.has_database:
        return None
    migrate(settings.sqlalchemy_url)  # a data directory from before the bank existed gets its tables
    db = Database(settings.sqlalchemy_url)
    with db.transaction() as s:
        app_id = local_app(s, None)
    if app_id is None:
        db.dispose()
        return None
    return LocalBank(db, app_id)
