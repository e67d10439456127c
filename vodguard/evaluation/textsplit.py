"""The labelled sentences of ``datasets/text`` and their split by family, shared by the two training scripts.

A family goes to train, dev or test (60:20:20) by a digest of its name alone, never sentence by sentence: every
phrasing in test belongs to a family the models never saw, and adding families never moves an existing one to
another split (a test family stays a test family as the data grows). A family written as the same scenario in the
other language names its source in ``split_with`` and follows the source's split, so a translation never sits in
test while its original trains.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from vodguard.moderation.types import LABELS

__all__ = ["FIELDS", "load_textset", "split_of"]

# Every line of a datasets/text file holds these; ``split_with`` is the one optional field.
FIELDS = ("text", "labels", "lang", "family", "kind", "register")


def split_of(family: str) -> str:
    """train, dev or test (60:20:20) by the family name's digest, independent of every other family."""
    bucket = int(hashlib.sha256(family.encode()).hexdigest()[:8], 16) % 100
    return "train" if bucket < 60 else "dev" if bucket < 80 else "test"


def load_textset(data: Path) -> list[dict[str, Any]]:
    """Every line of ``data/*.jsonl`` with its ``source`` (file stem) and ``split``; unknown labels stop it."""
    rows = []
    for path in sorted(data.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            unknown = set(row["labels"]) - set(LABELS)
            if unknown:
                raise SystemExit(f"{path}:{number}: unknown labels {sorted(unknown)}")
            row["source"] = path.stem
            row["split"] = split_of(row.get("split_with") or row["family"])
            rows.append(row)
    return rows
