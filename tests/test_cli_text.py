"""``vodguard text`` and ``vodguard eval text``: strings in, verdicts and scores out, with meaningful exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def vodguard(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "vodguard", *args], input=stdin, capture_output=True, timeout=180
    )


def test_text_arguments_give_one_json_line_each_and_the_worst_exit() -> None:
    run = vodguard(
        "text",
        "--json",
        "the weather is lovely today",
        "I am going to blow up the central train station tomorrow morning.",
        "加微信 abc123 免费领取",
    )
    assert run.returncode == 2, run.stderr
    lines = [json.loads(line) for line in run.stdout.decode().splitlines()]
    # the threat names no keyword: the meaning-level model alone flags it, and whether it asks for review or
    # blocks depends on its probability against Terror's block threshold (presets.INTENT_THRESHOLDS)
    assert [line["Suggestion"] for line in lines[::2]] == ["pass", "block"]
    assert lines[1]["Suggestion"] in ("review", "block")
    assert set(lines[0]) == {"Text", "Suggestion", "Label", "SubLabel", "Confidence", "Keywords"}
    assert lines[0]["Label"] == "" and lines[0]["Keywords"] == []
    assert lines[1]["Label"] == "Terror" and lines[1]["SubLabel"] == "Intent" and lines[1]["Keywords"] == []
    assert lines[2]["Label"] == "Ad" and "加微信 abc123" in lines[2]["Keywords"]
    assert lines[2]["Text"] == "加微信 abc123 免费领取"


def test_text_reads_lines_from_stdin_including_garbage_and_labels_narrow_the_check() -> None:
    stdin = b"I am going to blow up the central train station tomorrow morning.\n" + b"\xff\xfe\x00bad\n\n"
    run = vodguard("text", "--labels", "Ad,Porn", stdin=stdin)
    assert run.returncode == 0, run.stderr  # Terror was not asked for, and garbage is no violation
    assert run.stdout.decode().count("PASS") == 3
    run = vodguard("text", "--labels", "Terror", stdin=stdin)
    first = run.stdout.decode().splitlines()[0]
    assert "Terror/Intent" in first
    # the exit code is the worst line's: review 1, block 2 (the threat's, as the model reads it)
    assert run.returncode == (2 if first.startswith("BLOCK") else 1), run.stdout.decode()


def test_text_bad_label_is_a_usage_error() -> None:
    run = vodguard("text", "--labels", "Spam", "hello")
    assert run.returncode == 4
    assert "--labels" in run.stderr.decode() and "Spam" in run.stderr.decode()


def test_eval_text_scores_labelled_sentences(tmp_path: Path) -> None:
    data = tmp_path / "set.jsonl"
    rows = [
        {"text": "I am going to blow up the central train station tomorrow morning.", "labels": ["Terror"]},
        {"text": "加微信 abc123 免费领取", "labels": ["Ad"]},
        {"text": "the fireworks exploded over the harbour", "labels": [], "kind": "near_miss"},
        {"text": "we baked bread with my grandmother this morning", "labels": []},
    ]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "report.json"
    run = vodguard("eval", "text", str(data), "--json", str(out))
    assert run.returncode == 0, run.stderr
    report = json.loads(out.read_text())
    assert report["labels"]["Terror"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert report["labels"]["Ad"]["recall"] == 1.0
    assert report["clean"]["all clean"] == {"flagged": 0, "total": 2, "rate": 0.0}
    assert report["clean"]["near_miss"]["total"] == 1

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "labels": ["Spam"]}\n')
    run = vodguard("eval", "text", str(bad))
    assert run.returncode == 4 and "bad.jsonl:1" in run.stderr.decode() and "Spam" in run.stderr.decode()


def test_eval_text_writes_the_mistakes_with_their_hits(tmp_path: Path) -> None:
    data = tmp_path / "set.jsonl"
    rows = [
        # labelled wrongly on purpose: the threat is marked clean, the baking marked as abuse
        {"text": "I am going to blow up the central train station tomorrow morning.", "labels": []},
        {"text": "we baked bread with my grandmother this morning", "labels": ["Abuse"], "kind": "explicit"},
        {"text": "加微信 abc123 免费领取", "labels": ["Ad"]},
    ]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "wrong" / "mistakes.jsonl"
    run = vodguard("eval", "text", str(data), "--mistakes", str(out))
    assert run.returncode == 0, run.stderr
    mistakes = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [m["text"] for m in mistakes] == [rows[0]["text"], rows[1]["text"]]  # the advert was right
    threat, bread = mistakes
    assert threat["flagged"] == ["Terror"] and threat["missed"] == [] and threat["labels"] == []
    assert any(h["Label"] == "Terror" for h in threat["hits"])
    assert bread["missed"] == ["Abuse"] and bread["flagged"] == [] and bread["kind"] == "explicit"
    assert not list(out.parent.glob("*.tmp"))

    run = vodguard("eval", str(data), "--mistakes", str(tmp_path / "m.jsonl"))
    assert run.returncode == 4 and "--mistakes" in run.stderr.decode()
