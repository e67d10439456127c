"""The evaluation manifest: JSON Lines, one labelled file a line (format in docs/eval-manifest.md).

```
{"path": "video/ad_en.mp4", "suggestion": "block",
 "segments": [{"form": "OCR", "label": "Ad", "start": 4.0, "end": 8.0, "suggestion": "block"}]}
```

``path`` is relative to the manifest's folder (or absolute); ``segments`` may be empty (a clean file). Pictures
have no times: leave ``start``/``end`` out. Anything else on a line (``note``, ``duration``, ``tags``) is kept
but not scored.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vodguard.moderation.types import FORMS, LABELS, SUGGESTION_RANK

SEGMENT_SUGGESTIONS = ("review", "block")


class ManifestError(ValueError):
    """A manifest line that cannot be read; the message names the line and the field."""


@dataclass(frozen=True)
class Span:
    """A segment as the scorer sees it: form, label and a closed time range (0, 0 for pictures)."""

    form: str
    label: str
    start: float = 0.0
    end: float = 0.0
    suggestion: str = ""  # expected segments may say review/block; predictions always do


@dataclass(frozen=True)
class Entry:
    """One labelled file of a manifest."""

    path: Path
    suggestion: str
    segments: tuple[Span, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self, root: Path | None = None) -> dict[str, Any]:
        """The manifest line for this entry, with ``path`` relative to ``root`` when given."""
        path = Path(os.path.relpath(self.path.resolve(), root)) if root is not None else self.path
        segments = []
        for s in self.segments:
            seg: dict[str, Any] = {"form": s.form, "label": s.label}
            if s.start or s.end:
                seg["start"], seg["end"] = round(s.start, 3), round(s.end, 3)
            if s.suggestion:
                seg["suggestion"] = s.suggestion
            segments.append(seg)
        return {"path": path.as_posix(), "suggestion": self.suggestion, "segments": segments, **self.extra}


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ManifestError(f"{where}: must be a number of seconds >= 0, not {value!r}")
    return float(value)


def parse_span(raw: Any, where: str) -> Span:
    """A segment object of a manifest line; ``ManifestError`` names the field that is wrong."""
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: a segment must be an object, not {raw!r}")
    form, label = raw.get("form"), raw.get("label")
    if form not in FORMS:
        raise ManifestError(f"{where}.form: {form!r} is not one of {', '.join(FORMS)}")
    if label not in LABELS:
        raise ManifestError(f"{where}.label: {label!r} is not one of {', '.join(LABELS)}")
    start = _number(raw.get("start", 0.0), f"{where}.start")
    end = _number(raw.get("end", start), f"{where}.end")
    if end < start:
        raise ManifestError(f"{where}: end {end} is before start {start}")
    suggestion = raw.get("suggestion", "")
    if suggestion and suggestion not in SEGMENT_SUGGESTIONS:
        raise ManifestError(f"{where}.suggestion: {suggestion!r} is not review or block")
    return Span(form, label, start, end, suggestion)


def parse_entry(raw: Any, root: Path, where: str) -> Entry:
    """One manifest line (already JSON-decoded) into an ``Entry`` with ``path`` resolved against ``root``."""
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: a line must be a JSON object")
    path = raw.get("path")
    if not isinstance(path, str) or not path:
        raise ManifestError(f"{where}.path: a file path is required")
    suggestion = raw.get("suggestion")
    if suggestion not in SUGGESTION_RANK:
        raise ManifestError(f"{where}.suggestion: {suggestion!r} is not pass, review or block")
    raw_segments = raw.get("segments", [])
    if not isinstance(raw_segments, list):
        raise ManifestError(f"{where}.segments: must be a list")
    segments = tuple(parse_span(s, f"{where}.segments[{i}]") for i, s in enumerate(raw_segments))
    if suggestion == "pass" and segments:
        raise ManifestError(f"{where}: a file expected to pass cannot have expected segments")
    extra = {k: v for k, v in raw.items() if k not in {"path", "suggestion", "segments"}}
    return Entry(Path(os.path.normpath(root / path)), suggestion, segments, extra)


def read_manifest(path: Path) -> list[Entry]:
    """Every entry of a JSON Lines manifest; blank lines are skipped, anything else wrong raises."""
    path = Path(path)
    root = path.resolve().parent
    entries = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ManifestError(f"{where}: not JSON ({exc.msg})") from None
            entries.append(parse_entry(raw, root, where))
    if not entries:
        raise ManifestError(f"{path}: the manifest lists no file")
    return entries


def write_manifest(path: Path, entries: Iterable[Entry]) -> None:
    """Write entries as JSON Lines, paths relative to the manifest's folder."""
    root = Path(path).resolve().parent
    lines = [json.dumps(e.to_json(root), ensure_ascii=False) for e in entries]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
