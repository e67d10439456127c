"""scripts/check_text_file.py, the checker new datasets/text files pass before they join: what it refuses, checked.

The script runs as writers run it (a subprocess), against a made-up folder of "existing" files, so the test reads
nothing of datasets/text and takes well under a second.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "check_text_file.py"


def family(name: str, texts: list[str], **fields: object) -> list[dict[str, object]]:
    row = {"labels": [], "lang": "en", "kind": "clean", "register": "chat", **fields}
    return [{"text": t, "family": name, **row} for t in texts]


def write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def check(new: Path, existing: Path) -> tuple[int, str]:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), str(new), "t-", "--existing", str(existing)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return run.returncode, run.stdout


# eight sentences that share nothing much with each other or with OLD
GOOD = [
    "the dentist moved my cleaning to thursday at four",
    "can you grab oat milk on the way home",
    "bus 12 is running about ten minutes late again",
    "remember the parcel locker code is 4471",
    "we booked the small room upstairs for eight people",
    "her flight lands at 6:40, terminal two",
    "the plumber says he can come between one and three",
    "rent goes out on the first, same as always",
]
OLD = "the library closes early on public holidays"


def test_a_clean_file_passes_and_is_counted(tmp_path: Path) -> None:
    existing = tmp_path / "data"
    existing.mkdir()
    write(existing / "old.jsonl", family("old-family", [OLD]))
    new = write(tmp_path / "new.jsonl", family("t-clean-en-errands-chat", GOOD))
    code, out = check(new, existing)
    assert code == 0, out
    assert out.splitlines()[0].startswith("8 sentences, 1 families")
    assert "label: clean 8" in out and out.rstrip().endswith("OK")


def test_each_broken_rule_is_named(tmp_path: Path) -> None:
    existing = tmp_path / "data"
    existing.mkdir()
    write(existing / "old.jsonl", family("old-family", [OLD]))
    rows = [
        # the last line equals an existing sentence, case aside
        *family("t-clean-en-errands-chat", [*GOOD[:7], OLD.upper()]),
        # too few lines, and speech with capitals and punctuation
        *family("t-clean-en-short-speech", ["Call me at noon, OK?", "ok"], register="speech"),
        # a name already used elsewhere, without the prefix
        *family("old-family", [*GOOD[:7], "a new line"], kind="near_miss"),
    ]
    new = write(tmp_path / "new.jsonl", rows)
    code, out = check(new, existing)
    assert code == 1
    assert "line 8: equals an existing sentence" in out
    assert "line 9: speech line has a capital letter or punctuation" in out
    assert "family t-clean-en-short-speech: 2 lines (7-16 allowed)" in out
    assert "family old-family: name already used in an existing file" in out
    assert "does not start with t-" in out
    # the same sentences in two families of the new file are near-copies across families
    assert "Jaccard 1.00 across families" in out


def test_an_empty_file_fails(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    code, out = check(empty, tmp_path)
    assert code == 1 and "no sentences" in out


def test_split_with_must_name_a_family_that_exists(tmp_path: Path) -> None:
    # A clean twin is split with its violating family (datasets/text/README.md, "Splits"): the field is allowed,
    # and it must name a family of this file or of an existing one.
    existing = tmp_path / "data"
    existing.mkdir()
    write(existing / "old.jsonl", family("old-family", [OLD]))
    new = write(
        tmp_path / "new.jsonl",
        family("t-clean-en-errands-chat", GOOD, split_with="old-family"),
    )
    code, out = check(new, existing)
    assert code == 0, out

    new = write(
        tmp_path / "new.jsonl",
        family("t-clean-en-errands-chat", GOOD[:4], split_with="t-missing-family")
        + family("t-clean-en-errands-chat", GOOD[4:], split_with=""),
    )
    code, out = check(new, existing)
    assert code == 1
    assert "split_with '' is not a family name" in out
    assert "family t-clean-en-errands-chat: more than one split_with" in out
    assert "split_with t-missing-family names no family" in out
