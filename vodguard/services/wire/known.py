"""Known content's shapes (a vodguard extension, ``docs/known-content.md``): a bank entry as the known-content
actions, the console and ``vodguard known`` list it, and the ``KnownContentMatch`` a review's output carries when
the media copies an entry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypedDict

from vodguard.services.wire.results import KnownContentMatch
from vodguard.store.models import KnownEntry
from vodguard.timeutil import iso

if TYPE_CHECKING:
    from vodguard.moderation.known import MatchedFrame


class KnownContent(TypedDict):
    """One entry of an app's bank."""

    EntryId: str
    Label: str
    SubLabel: str
    Reason: str
    FileId: str
    SourceName: str
    Kind: str
    Origin: str
    CreatedBy: str
    CreateTime: str
    FrameCount: int


def known_content(entry: KnownEntry, frames: int) -> KnownContent:
    """KnownContent, with the number of frame hashes the entry holds."""
    return {
        "EntryId": entry.id, "Label": entry.label, "SubLabel": entry.sub_label, "Reason": entry.reason,
        "FileId": entry.file_id, "SourceName": entry.source_name, "Kind": entry.kind, "Origin": entry.origin,
        "CreatedBy": entry.created_by, "CreateTime": iso(entry.created_at), "FrameCount": frames,
    }  # fmt: skip


def known_match(
    entry: KnownEntry, frames: Sequence[MatchedFrame], *, score: float, summary: str
) -> KnownContentMatch:
    """KnownContentMatch: the entry a review matched, its closest distance, and the matched frames as given (in
    time order); ``summary`` is the line for people (``services.known.match_summary``)."""
    return {
        "EntryId": entry.id, "FileId": entry.file_id, "SourceName": entry.source_name, "Label": entry.label,
        "SubLabel": entry.sub_label, "Reason": entry.reason, "Origin": entry.origin,
        "BlockedBy": entry.created_by, "BlockedTime": iso(entry.created_at),
        "Distance": min((f.distance for f in frames), default=0), "Score": round(float(score), 3),
        "FrameSet": [
            {"Time": round(f.time, 3), "EntryTime": round(f.entry_time, 3), "Distance": f.distance,
             "Flipped": bool(f.flipped)}
            for f in frames
        ],
        "Summary": summary,
    }  # fmt: skip
