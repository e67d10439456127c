"""Measure Mandarin speech on tests/fixtures/zh_speech: character error rate, violations found, false alarms, CPU.

Runs the default speech path (``VODGUARD_ASR_MODEL=auto`` unless ``--model`` names another) and the text rules
on every file of the manifest; the figures of docs/quality.md come from here. A dev-time tool.

    python scripts/measure_zh_speech.py [--model auto|base|tiny.en] [--models-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import unicodedata
from pathlib import Path

from faster_whisper import decode_audio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's vodguard, not an installed one
from vodguard.moderation.config import EngineConfig  # noqa: E402
from vodguard.moderation.detectors.asr import AsrDetector  # noqa: E402
from vodguard.moderation.detectors.whisper import Transcriber  # noqa: E402
from vodguard.moderation.text import get_text_moderator  # noqa: E402
from vodguard.moderation.text.normalize import fold  # noqa: E402
from vodguard.moderation.types import AudioTrack  # noqa: E402

HERE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "zh_speech"
SLACK = 1.0  # seconds a finding may stray outside the sentence it belongs to


def chars(text: str) -> str:
    """Characters that count for the error rate: folded to Simplified, punctuation and spaces dropped."""
    return "".join(c for c in fold(text) if unicodedata.category(c)[0] in "LN")


def edits(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="auto")
    parser.add_argument("--models-dir", default="/tmp/vodguard-models")
    args = parser.parse_args()
    manifest = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
    transcriber = Transcriber(EngineConfig(asr_model=args.model, models_dir=Path(args.models_dir)))
    moderator = get_text_moderator()
    totals: dict[str, dict[str, float]] = {}
    for item in manifest["files"]:
        samples = decode_audio(str(HERE / item["file"]), sampling_rate=16000)
        track = AudioTrack(samples)
        began = time.process_time()
        sentences = transcriber(track)
        cpu = time.process_time() - began
        findings = AsrDetector(moderator, lambda _audio, s=sentences: s)(track)
        t = totals.setdefault(
            item["set"],
            dict.fromkeys(["errors", "chars", "found", "bad", "false", "clean", "cpu", "seconds"], 0.0),
        )
        t["cpu"] += cpu
        t["seconds"] += len(samples) / 16000
        for seg in item["segments"]:
            lo, hi = seg["start"] - SLACK, seg["end"] + SLACK
            # words, not sentences: Whisper may run a recording and the sentence dubbed after it into one sentence
            heard = "".join(
                w.text for s in sentences for w in s.words if seg["start"] - 0.3 <= w.start < seg["end"]
            )
            near = [f for f in findings if f.start < hi and f.end > lo]
            if seg["labels"]:
                t["bad"] += 1
                t["found"] += any(f.label in seg["labels"] for f in near)
            else:
                t["clean"] += 1
                t["false"] += bool(near)
            if seg["origin"] == "recorded" and seg["text"]:
                t["errors"] += edits(chars(seg["text"]), chars(heard))
                t["chars"] += len(chars(seg["text"]))
            labels = sorted({f"{f.label}/{f.sub_label} {f.confidence:.0f}" for f in near})
            print(f"{item['file']:36} {seg['origin']:8} {heard!r:60} {labels}")
        print(f"{'':36} {cpu:.1f} s CPU for {len(samples) / 16000:.1f} s of audio")
    for name, t in totals.items():
        cer = f"{t['errors'] / t['chars']:.1%} of {t['chars']:.0f}" if t["chars"] else "n/a"
        print(
            f"{name}: violations found {t['found']:.0f}/{t['bad']:.0f}, clean stretches flagged "
            f"{t['false']:.0f}/{t['clean']:.0f}, CER {cer}, "
            f"{t['cpu'] / t['seconds'] * 60:.1f} s CPU per minute of audio"
        )


if __name__ == "__main__":
    main()
