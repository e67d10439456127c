"""Hash lists: a bank written to CSV and read back, so banks can be shared (``vodguard known export/import``).

The layout is vodguard's own (HMA's bank export layout could not be confirmed from its source), documented in
docs/known-content.md: a header, then one line per frame hash with the columns ``signal_type, signal, label,
note, entry, time, sub_label, kind``. Lines with the same ``entry`` make one entry. An import checks every line
before it writes anything and writes all entries in one transaction: a bad line is reported with its number and
nothing is imported.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from vodguard.errors import InvalidParameterValue
from vodguard.moderation.types import LABELS
from vodguard.services.known import KINDS, add_entry, entry_frames, list_entries
from vodguard.store.db import Database
from vodguard.store.models import KnownEntry

SIGNAL_TYPE = "vodguard_phash64"  # the engine's 64-bit DCT perceptual hash of a frame, as 16 hex digits
COLUMNS = ("signal_type", "signal", "label", "note", "entry", "time", "sub_label", "kind")
REQUIRED = ("signal_type", "signal", "label")
_HEX64 = re.compile(r"[0-9a-fA-F]{16}")
MAX_LINES = 2_000_000


@dataclass
class _Entry:
    name: str
    label: str
    note: str
    sub_label: str
    kind: str
    frames: list[tuple[float, int]] = field(default_factory=list)


def _bad(line: int, message: str) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"line {line}: {message}; nothing was imported", code="InvalidParameterValue.List"
    )


def parse(text: str) -> list[_Entry]:
    """Every entry of a list, or ``InvalidParameterValue`` naming the first bad line (1 is the header)."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise _bad(1, f"the header lacks the column(s) {', '.join(missing)} (expected {','.join(COLUMNS)})")
    entries: dict[str, _Entry] = {}
    try:
        for row in reader:
            line = reader.line_num
            if line > MAX_LINES:
                raise _bad(line, f"a list holds at most {MAX_LINES} lines")
            if None in row or any(v is None for v in row.values()):
                raise _bad(line, f"it has {len(header)} columns in the header but not on this line")
            if (row["signal_type"] or "").strip() != SIGNAL_TYPE:
                raise _bad(line, f"signal_type {row['signal_type']!r} is not {SIGNAL_TYPE}")
            signal = (row["signal"] or "").strip()
            if not _HEX64.fullmatch(signal):
                raise _bad(line, f"signal {signal!r} is not a 64-bit hash in 16 hex digits")
            label = (row["label"] or "").strip()
            if label not in LABELS:
                raise _bad(line, f"label {label!r} is not one of {', '.join(LABELS)}")
            raw_time = (row.get("time") or "0").strip() or "0"
            try:
                time = float(raw_time)
            except ValueError:
                raise _bad(line, f"time {raw_time!r} is not a number of seconds") from None
            if not 0 <= time < 1e7:
                raise _bad(line, f"time {raw_time!r} is outside 0 to 10000000 seconds")
            kind = (row.get("kind") or "video").strip() or "video"
            if kind not in KINDS:
                raise _bad(line, f"kind {kind!r} is not video or picture")
            note, sub_label = (row.get("note") or "").strip(), (row.get("sub_label") or "").strip()
            if len(note) > 512 or len(sub_label) > 64:
                raise _bad(line, "note is over 512 characters or sub_label over 64")
            name = (row.get("entry") or "").strip() or f"line {line}"
            entry = entries.setdefault(name, _Entry(name, label, note, sub_label, kind))
            entry.frames.append((time, int(signal, 16)))
    except csv.Error as exc:
        raise _bad(reader.line_num, f"not CSV ({exc})") from None
    if not entries:
        raise _bad(1, "the list has a header but no hash")
    return list(entries.values())


def import_list(db: Database, *, app_id: int, text: str, created_by: str, now: datetime) -> list[KnownEntry]:
    """Add every entry of a CSV list in one transaction (all or nothing)."""
    parsed = parse(text)
    with db.transaction() as s:
        return [
            add_entry(
                s,
                app_id=app_id,
                label=e.label,
                sub_label=e.sub_label,
                reason=e.note,
                source_name=e.name,
                kind=e.kind,
                origin="import",
                created_by=created_by,
                frames=e.frames,
                now=now,
            )  # fmt: skip
            for e in parsed
        ]


def export_rows(session: Session, *, app_id: int) -> Iterable[list[str]]:
    yield list(COLUMNS)
    offset = 0
    while True:
        page = list_entries(session, app_id=app_id, offset=offset, limit=500)
        if not page:
            return
        for entry, _ in page:
            for time, value in entry_frames(session, entry_id=entry.id):
                yield [SIGNAL_TYPE, f"{value:016x}", entry.label, entry.reason, entry.id, f"{time:g}",
                       entry.sub_label, entry.kind]  # fmt: skip
        offset += len(page)


def export_list(session: Session, *, app_id: int) -> str:
    """The app's bank as a CSV list."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(export_rows(session, app_id=app_id))
    return out.getvalue()
