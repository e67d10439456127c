"""The evaluation report: a rich table for people and a JSON document for programs."""

from __future__ import annotations

import json
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vodguard.evaluation.manifest import Entry
from vodguard.evaluation.scoring import SUGGESTIONS, ClassScore, Prediction, Scores


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def machine() -> dict[str, Any]:
    """Cores and CPU model of this machine, for figures that depend on it."""
    import os

    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"cores": os.cpu_count(), "cpu": model, "load_1min": load}


def report_json(
    scores: Scores,
    pairs: Sequence[tuple[Entry, Prediction]],
    *,
    manifest: Path,
    labels: Sequence[str],
    root: Path | None = None,
) -> dict[str, Any]:
    """The whole report, with one record per file so a reader can see every miss."""
    files = []
    for entry, pred in pairs:
        try:
            name = entry.path.relative_to(root).as_posix() if root else str(entry.path)
        except ValueError:
            name = str(entry.path)
        record: dict[str, Any] = {
            "path": name,
            "expected": entry.suggestion,
            "seconds": round(pred.seconds, 3),
        }
        if pred.error:
            record["error"] = pred.error
        else:
            record["predicted"] = pred.suggestion
            record["duration"] = round(pred.duration, 3)
            details = pred.details or tuple({} for _ in pred.segments)
            record["segments"] = [
                {
                    "form": s.form,
                    "label": s.label,
                    "start": s.start,
                    "end": s.end,
                    "suggestion": s.suggestion,
                    **d,
                }
                for s, d in zip(pred.segments, details, strict=True)
            ]
        files.append(record)
    return {
        "manifest": str(manifest),
        "labels": sorted(labels),
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        **scores.to_json(),
        "per_file": files,
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Write the report through a temporary file, so a failed run leaves no half-written JSON."""
    write_whole(path, json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def write_whole(path: Path, text: str) -> None:
    """Write ``text`` through a temporary file beside ``path``: a failed run leaves the file whole or absent."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _row(name: str, score: ClassScore) -> list[str]:
    return [
        name,
        str(score.expected),
        str(score.predicted),
        _rate(score.precision),
        _rate(score.recall),
        _rate(score.f1),
        _rate(score.mean_iou),
    ]


def print_report(scores: Scores, console: Any = None) -> None:
    """Print the per-class table, the suggestion confusion, clean-file false positives and speed."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console(highlight=False)
    table = Table(title="Segments by form × label")
    for column in ("form/label", "expected", "predicted", "precision", "recall", "F1", "mean IoU"):
        table.add_column(column, justify="left" if column == "form/label" else "right")
    for (form, label), score in sorted(scores.classes.items()):
        table.add_row(*_row(f"{form}/{label}", score))
    table.add_row(*_row("all", scores.total), style="bold")
    console.print(table)

    confusion = Table(title="Suggestions (rows expected, columns predicted)")
    confusion.add_column("expected")
    for name in (*SUGGESTIONS, "error"):
        confusion.add_column(name, justify="right")
    for expected in SUGGESTIONS:
        row = scores.confusion[expected]
        if sum(row.values()):
            confusion.add_row(expected, *(str(row[name]) for name in (*SUGGESTIONS, "error")))
    console.print(confusion)

    lines = [
        f"files: {scores.files} ({scores.errors} failed)",
        f"suggestion accuracy: {_rate(scores.suggestion_accuracy)}",
        f"clean files flagged: {scores.clean_flagged}/{scores.clean_files} "
        f"(false-positive rate {_rate(scores.clean_false_positive_rate)})",
    ]
    if scores.x_realtime is not None:
        lines.append(
            f"speed: {scores.media_seconds:.0f} s of media in {scores.media_wall_seconds:.0f} s "
            f"= {scores.x_realtime:.1f}× real time"
        )
    if scores.image_mean_seconds is not None:
        lines.append(f"images: {scores.images}, {scores.image_mean_seconds * 1000:.0f} ms each on average")
    for line in lines:
        console.print(line)
