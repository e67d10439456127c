"""Text moderation on COLD (Chinese Offensive Language Dataset): accuracy, precision, recall, F1 for offensive.

COLD's CSV has columns ``split, topic, label, TEXT`` (label 1 = offensive). The Chinese abuse model was fitted on
COLD's train split with its threshold chosen on a hold-out of train, so dev is unseen data for it.

Two readings of "predicted offensive" are scored: an ``Abuse`` hit at the review threshold (what a template with
Abuse would flag), and a hit of any label (what a template with every label would flag).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vodguard.moderation.presets import DEFAULT_THRESHOLDS
from vodguard.moderation.types import LABELS, TextHit


@dataclass(frozen=True)
class Example:
    text: str
    offensive: bool
    topic: str = ""


@dataclass
class Binary:
    """Confusion counts of a yes/no prediction against truth, and the rates they give."""

    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0

    def add(self, truth: bool, predicted: bool) -> None:
        if truth and predicted:
            self.tp += 1
        elif truth:
            self.fn += 1
        elif predicted:
            self.fp += 1
        else:
            self.tn += 1

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    @property
    def accuracy(self) -> float | None:
        return (self.tp + self.tn) / self.total if self.total else None

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "tn": self.tn,
            "fn": self.fn,
            "accuracy": self.accuracy,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass
class ColdScores:
    """Scores under each reading, overall and per COLD topic (race, region, gender)."""

    readings: dict[str, Binary] = field(default_factory=dict)
    topics: dict[str, dict[str, Binary]] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "examples": next(iter(self.readings.values())).total if self.readings else 0,
            "seconds": round(self.seconds, 3),
            "readings": {name: b.to_json() for name, b in self.readings.items()},
            "topics": {
                topic: {name: b.to_json() for name, b in by.items()}
                for topic, by in sorted(self.topics.items())
            },
        }


def read_cold(path: Path, limit: int | None = None) -> list[Example]:
    """The examples of a COLD CSV (its first column has no name, and the file may start with a BOM)."""
    out = []
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"label", "TEXT"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: not a COLD CSV (missing column(s) {', '.join(sorted(missing))})")
        for row in reader:
            out.append(Example(row["TEXT"], row["label"].strip() == "1", row.get("topic", "") or ""))
            if limit is not None and len(out) >= limit:
                break
    return out


def flagged(hits: Iterable[TextHit]) -> dict[str, bool]:
    """The two readings for one text's hits: an Abuse hit, and a hit of any label, at review or above."""
    hits = [h for h in hits if h.confidence >= DEFAULT_THRESHOLDS[h.label].review]
    return {"abuse": any(h.label == "Abuse" for h in hits), "any_label": bool(hits)}


def score_cold(
    examples: Sequence[Example], moderate: Callable[[str], list[TextHit]] | None = None
) -> ColdScores:
    """Run ``moderate`` (the process-wide TextModerator over every label by default) on each example."""
    if moderate is None:
        from vodguard.moderation.text import get_text_moderator

        moderator = get_text_moderator()

        def moderate(text: str) -> list[TextHit]:
            return moderator(text, labels=LABELS)

    scores = ColdScores()
    start = time.perf_counter()
    for example in examples:
        for name, predicted in flagged(moderate(example.text)).items():
            scores.readings.setdefault(name, Binary()).add(example.offensive, predicted)
            by_topic = scores.topics.setdefault(example.topic or "-", {})
            by_topic.setdefault(name, Binary()).add(example.offensive, predicted)
    scores.seconds = time.perf_counter() - start
    return scores


def print_cold(scores: ColdScores, console: Any = None) -> None:
    """A rich table: one row per reading, then per topic."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console(highlight=False)
    table = Table(title="COLD: offensive or not")
    for column in ("reading", "topic", "texts", "accuracy", "precision", "recall", "F1"):
        table.add_column(column, justify="left" if column in ("reading", "topic") else "right")

    def fmt(value: float | None) -> str:
        return "—" if value is None else f"{value:.3f}"

    def row(name: str, topic: str, b: Binary, style: str | None = None) -> None:
        cells = [str(b.total), fmt(b.accuracy), fmt(b.precision), fmt(b.recall), fmt(b.f1)]
        table.add_row(name, topic, *cells, style=style)

    for name, b in scores.readings.items():
        row(name, "all", b, "bold")
        for topic, by in sorted(scores.topics.items()):
            row(name, topic, by[name])
    console.print(table)
    total = next(iter(scores.readings.values())).total if scores.readings else 0
    if total and scores.seconds > 0:
        console.print(f"{total} texts in {scores.seconds:.1f} s ({total / scores.seconds:.0f} texts/s)")
