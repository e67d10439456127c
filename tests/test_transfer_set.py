"""datasets/text/transfer/ stays outside every split: no model may learn from it or choose anything on it.

Its figures (docs/quality.md) mean something only while nothing trained on the set; a file moved up a folder, a
family name reused by a training file or a sentence copied into one would quietly make it a training set.
"""

from __future__ import annotations

import json
from pathlib import Path

from vodguard.evaluation.textsplit import load_textset

DATA = Path(__file__).resolve().parents[1] / "datasets" / "text"
TRANSFER = DATA / "transfer"


def transfer_rows() -> list[dict[str, object]]:
    return [
        json.loads(line)
        for path in sorted(TRANSFER.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def norm(text: object) -> str:
    return " ".join(str(text).lower().split())


def test_the_transfer_set_is_there_and_whole() -> None:
    rows = transfer_rows()
    assert len(rows) == 2400
    assert all(str(r["family"]).startswith("t-") for r in rows)


def test_no_split_reads_a_transfer_family_or_sentence() -> None:
    rows = transfer_rows()
    used = load_textset(DATA)
    families = {r["family"] for r in used} | {r.get("split_with") for r in used}
    assert not families & {r["family"] for r in rows}
    texts = {norm(r["text"]) for r in used}
    for name in ("dev", "test"):
        texts |= {
            norm(json.loads(line)["text"])
            for line in (DATA / "split" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()
        }
    assert not texts & {norm(r["text"]) for r in rows}
