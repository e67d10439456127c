"""Pure scoring: expected spans against predicted ones, per form × label, plus suggestions and speed.

Matching is by overlap, not one-to-one, because a detector may report one caption as two segments or two
captions as one:

* an expected segment is **found** when some prediction of the same form and label overlaps its time range
  (closed ranges, so a point finding inside the range counts; pictures have no times and always overlap);
* a predicted segment is **correct** when it overlaps some expected segment of the same form and label;
* recall = found / expected, precision = correct / predicted, F1 their harmonic mean;
* the IoU of a found segment is the time it shares with the union of its overlapping predictions, over the
  time both cover together (pictures have no IoU).

So a wrong label is both a miss (its expected segment is not found) and a false positive (its prediction is not
correct).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from vodguard.evaluation.manifest import Entry, Span
from vodguard.moderation.types import SUGGESTION_RANK

SUGGESTIONS = ("pass", "review", "block")


@dataclass(frozen=True)
class Prediction:
    """What the moderator said about one file; ``error`` is set (and the rest empty) when it failed."""

    suggestion: str = "pass"
    segments: tuple[Span, ...] = ()
    duration: float = 0.0  # seconds of media; 0 for pictures
    seconds: float = 0.0  # wall time spent on the file
    image: bool = False
    error: str = ""
    details: tuple[
        dict[str, Any], ...
    ] = ()  # per segment: sub-label, confidence, text, keywords (for the report)


@dataclass
class ClassScore:
    """Counts and rates for one form × label (or all of them, for the total row)."""

    expected: int = 0
    predicted: int = 0
    found: int = 0
    correct: int = 0
    ious: list[float] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.found / self.expected if self.expected else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def mean_iou(self) -> float | None:
        return sum(self.ious) / len(self.ious) if self.ious else None

    def add(self, other: ClassScore) -> None:
        self.expected += other.expected
        self.predicted += other.predicted
        self.found += other.found
        self.correct += other.correct
        self.ious.extend(other.ious)

    def to_json(self) -> dict[str, Any]:
        return {
            "expected": self.expected,
            "predicted": self.predicted,
            "found": self.found,
            "correct": self.correct,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "mean_iou": self.mean_iou,
        }


@dataclass
class Scores:
    """Everything the report shows."""

    classes: dict[tuple[str, str], ClassScore]
    total: ClassScore
    confusion: dict[str, dict[str, int]]  # expected suggestion -> predicted suggestion (or "error") -> files
    files: int
    errors: int
    clean_files: int  # files expected to have no segment (among those scored without error)
    clean_flagged: int  # ... that got at least one segment
    media_seconds: float
    media_wall_seconds: float
    images: int
    image_wall_seconds: float

    @property
    def clean_false_positive_rate(self) -> float | None:
        return self.clean_flagged / self.clean_files if self.clean_files else None

    @property
    def suggestion_accuracy(self) -> float | None:
        right = sum(self.confusion.get(s, {}).get(s, 0) for s in SUGGESTIONS)
        scored = self.files - self.errors
        return right / scored if scored else None

    @property
    def x_realtime(self) -> float | None:
        return self.media_seconds / self.media_wall_seconds if self.media_wall_seconds > 0 else None

    @property
    def image_mean_seconds(self) -> float | None:
        return self.image_wall_seconds / self.images if self.images else None

    def to_json(self) -> dict[str, Any]:
        return {
            "classes": [
                {"form": form, "label": label, **score.to_json()}
                for (form, label), score in sorted(self.classes.items())
            ],
            "total": self.total.to_json(),
            "suggestions": {
                "confusion": self.confusion,
                "accuracy": self.suggestion_accuracy,
            },
            "clean_files": {
                "files": self.clean_files,
                "flagged": self.clean_flagged,
                "false_positive_rate": self.clean_false_positive_rate,
            },
            "files": self.files,
            "errors": self.errors,
            "speed": {
                "media_seconds": round(self.media_seconds, 3),
                "media_wall_seconds": round(self.media_wall_seconds, 3),
                "x_realtime": self.x_realtime,
                "images": self.images,
                "image_mean_seconds": self.image_mean_seconds,
            },
        }


def overlaps(a: Span, b: Span) -> bool:
    """Whether two closed time ranges share at least an instant."""
    return max(a.start, b.start) <= min(a.end, b.end)


def merge_ranges(ranges: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sorted, disjoint ranges covering exactly the same time as ``ranges``."""
    out: list[tuple[float, float]] = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def range_iou(expected: tuple[float, float], predicted: Iterable[tuple[float, float]]) -> float:
    """IoU of one range with the union of others; 1.0 when both are the same single instant."""
    start, end = expected
    merged = merge_ranges(predicted)
    inter = sum(max(0.0, min(end, e) - max(start, s)) for s, e in merged)
    union = (end - start) + sum(e - s for s, e in merged) - inter
    if union <= 0:
        return 1.0
    return inter / union


def score_file(expected: Sequence[Span], predicted: Sequence[Span]) -> dict[tuple[str, str], ClassScore]:
    """Per form × label counts for one file (the overlap rules of the module docstring)."""
    out: dict[tuple[str, str], ClassScore] = {}
    for key in {(s.form, s.label) for s in (*expected, *predicted)}:
        want = [s for s in expected if (s.form, s.label) == key]
        got = [s for s in predicted if (s.form, s.label) == key]
        score = ClassScore(expected=len(want), predicted=len(got))
        for exp in want:
            hits = [p for p in got if overlaps(exp, p)]
            if hits:
                score.found += 1
                if exp.end > exp.start:
                    score.ious.append(range_iou((exp.start, exp.end), ((p.start, p.end) for p in hits)))
        score.correct = sum(1 for p in got if any(overlaps(e, p) for e in want))
        out[key] = score
    return out


def expected_suggestion(entry: Entry, kept: Sequence[Span]) -> str:
    """The file's expected suggestion, re-derived from the kept segments when a label filter dropped some.

    When every segment of the entry carries its own suggestion, dropping labels can be followed exactly;
    otherwise the file's ``suggestion`` stands (an operator who filters labels should label accordingly).
    """
    if len(kept) == len(entry.segments):
        return entry.suggestion
    if entry.segments and all(s.suggestion for s in entry.segments):
        return max((s.suggestion for s in kept), key=SUGGESTION_RANK.__getitem__, default="pass")
    return entry.suggestion


def score(pairs: Iterable[tuple[Entry, Prediction]], labels: Collection[str] | None = None) -> Scores:
    """Score predictions against a manifest, looking only at ``labels`` (all labels when ``None``)."""
    classes: dict[tuple[str, str], ClassScore] = {}
    confusion = {s: dict.fromkeys((*SUGGESTIONS, "error"), 0) for s in SUGGESTIONS}
    files = errors = clean = flagged = images = 0
    media_seconds = media_wall = image_wall = 0.0
    for entry, pred in pairs:
        files += 1
        want = [s for s in entry.segments if labels is None or s.label in labels]
        got = [s for s in pred.segments if labels is None or s.label in labels]
        truth = expected_suggestion(entry, want)
        if pred.error:
            errors += 1
            confusion[truth]["error"] += 1
            continue
        confusion[truth][pred.suggestion] += 1
        if not want:
            clean += 1
            flagged += bool(got)
        for key, counts in score_file(want, got).items():
            classes.setdefault(key, ClassScore()).add(counts)
        if pred.image:
            images += 1
            image_wall += pred.seconds
        else:
            media_seconds += pred.duration
            media_wall += pred.seconds
    total = ClassScore()
    for counts in classes.values():
        total.add(counts)
    return Scores(
        classes=classes,
        total=total,
        confusion=confusion,
        files=files,
        errors=errors,
        clean_files=clean,
        clean_flagged=flagged,
        media_seconds=media_seconds,
        media_wall_seconds=media_wall,
        images=images,
        image_wall_seconds=image_wall,
    )
