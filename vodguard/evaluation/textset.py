"""Score text moderation on labelled sentences: ``vodguard eval text FILE.jsonl``.

Each line is ``{"text": ..., "labels": [...]}`` (an empty list means clean); an optional ``kind`` of
``near_miss`` marks clean sentences that share topic words with a violation, and is reported apart from
ordinary clean text. A sentence counts as flagged for a label when the hit's confidence reaches that label's
review threshold under the all-labels template, exactly as a segment would.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from vodguard.evaluation.report import write_whole
from vodguard.moderation.policy import suggestion_for
from vodguard.moderation.presets import labels_template
from vodguard.moderation.types import LABELS, TextHit

__all__ = ["LabelledText", "TextScores", "flagged_labels", "read_labelled", "score_texts", "write_mistakes"]


@dataclass(frozen=True)
class LabelledText:
    text: str
    labels: frozenset[str]
    kind: str = ""


def read_labelled(path: Path, limit: int | None = None) -> list[LabelledText]:
    """The labelled sentences in ``path``; a malformed line raises ``ValueError`` naming it."""
    out: list[LabelledText] = []
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise ValueError(f'{where}: each line needs a "text" string')
            labels = row.get("labels", [])
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                raise ValueError(f'{where}: "labels" must be a list of label names ([] for clean)')
            unknown = sorted(set(labels) - set(LABELS))
            if unknown:
                raise ValueError(
                    f"{where}: unknown label(s) {', '.join(unknown)}; known: {', '.join(LABELS)}"
                )
            out.append(LabelledText(row["text"], frozenset(labels), str(row.get("kind") or "")))
            if limit is not None and len(out) >= limit:
                break
    if not out:
        raise ValueError(f"{path}: no labelled sentences")
    return out


def flagged_labels(hits: Iterable[TextHit], labels: Collection[str]) -> set[str]:
    """The labels whose hits reach their review threshold under the all-labels template."""
    template = labels_template(labels)
    return {h.label for h in hits if suggestion_for(h.label, h.confidence, template)}


@dataclass
class TextScores:
    labels: tuple[str, ...]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # label -> tp, fp, fn
    clean: dict[str, list[int]] = field(default_factory=dict)  # kind -> [flagged, total]
    # every sentence whose flagged labels differ from its own, in input order, when score_texts keeps them
    mistakes: list[dict[str, object]] = field(default_factory=list)

    def per_label(self) -> dict[str, dict[str, float]]:
        out = {}
        for label in self.labels:
            c = self.counts[label]
            if not (c["tp"] + c["fn"] + c["fp"]):
                continue
            precision = c["tp"] / max(c["tp"] + c["fp"], 1)
            recall = c["tp"] / max(c["tp"] + c["fn"], 1)
            f1 = 2 * precision * recall / max(precision + recall, 1e-9)
            out[label] = {
                "precision": round(precision, 3),
                "recall": round(recall, 3),
                "f1": round(f1, 3),
                "support": c["tp"] + c["fn"],
            }
        return out

    def clean_rates(self) -> dict[str, dict[str, float]]:
        return {
            kind: {"flagged": flagged, "total": total, "rate": round(flagged / max(total, 1), 3)}
            for kind, (flagged, total) in sorted(self.clean.items())
        }

    def to_json(self) -> dict[str, object]:
        return {"labels": self.per_label(), "clean": self.clean_rates()}


def score_texts(
    examples: Iterable[LabelledText],
    moderate: Callable[[str], list[TextHit]],
    labels: Collection[str] = LABELS,
    *,
    keep_mistakes: bool = False,
) -> TextScores:
    """Per-label precision/recall/F1 and the share of clean sentences flagged (all of them, and by kind); with
    ``keep_mistakes``, also each sentence that was missed or flagged wrongly, with the hits that decided it."""
    chosen = tuple(label for label in LABELS if label in labels)
    scores = TextScores(chosen, {label: {"tp": 0, "fp": 0, "fn": 0} for label in chosen})
    for example in examples:
        truth = example.labels & set(chosen)
        hits = moderate(example.text)
        predicted = flagged_labels(hits, chosen)
        if keep_mistakes and predicted != truth:
            scores.mistakes.append(_mistake(example, truth, frozenset(predicted), hits))
        for label in chosen:
            if label in predicted and label in truth:
                scores.counts[label]["tp"] += 1
            elif label in predicted:
                scores.counts[label]["fp"] += 1
            elif label in truth:
                scores.counts[label]["fn"] += 1
        if not example.labels:
            for kind in {"all clean", example.kind or "clean"}:
                tally = scores.clean.setdefault(kind, [0, 0])
                tally[0] += bool(predicted)
                tally[1] += 1
    return scores


def _mistake(
    example: LabelledText, truth: frozenset[str], predicted: frozenset[str], hits: list[TextHit]
) -> dict[str, object]:
    return {
        "text": example.text,
        "labels": sorted(example.labels),  # all of them; missed and flagged count only the labels scored
        "kind": example.kind,
        "missed": sorted(truth - predicted),
        "flagged": sorted(predicted - truth),
        # the wire names a segment uses, so the line reads like `vodguard text --json` output
        "hits": [
            {
                "Label": h.label,
                "SubLabel": h.sub_label,
                "Confidence": round(h.confidence, 1),
                "Keywords": list(h.keywords),
            }
            for h in hits
        ],
    }


def write_mistakes(path: Path, scores: TextScores) -> None:
    """The kept mistakes as JSON Lines, written whole or not at all."""
    write_whole(path, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in scores.mistakes))


def print_text_scores(scores: TextScores) -> None:
    print(f"{'label':8} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}")
    for label, s in scores.per_label().items():
        print(f"{label:8} {s['precision']:9.3f} {s['recall']:7.3f} {s['f1']:6.3f} {s['support']:8}")
    for kind, r in scores.clean_rates().items():
        print(f"clean flagged ({kind}): {r['flagged']}/{r['total']} = {r['rate']:.3f}")
