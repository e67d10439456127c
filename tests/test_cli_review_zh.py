"""``vodguard review`` on recorded Mandarin with no ASR setting: spoken violations are found, in Chinese text.

The clips (tests/fixtures/zh_speech/, sources in SOURCES.md) are real speakers' recordings with a violating
sentence dubbed in after a pause; English speech in the same run is judged as before.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.paths import fixture_path, fixture_truth
from tests.test_cli_review import review

HANZI = re.compile(r"[\u4e00-\u9fff]")


def truth(name: str) -> dict[str, Any]:
    manifest = fixture_truth("zh_speech/manifest.json")
    return next(item for item in manifest["files"] if item["file"] == name)


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    names = ["zh_speech/rec_aishell.flac", "zh_speech/rec_wenet_long.flac", "zh_speech/rec_wenet_mid.flac"]
    files = [fixture_path(name) for name in [*names, "speech.wav"]]
    done = review(*files, "--json", cwd=tmp_path_factory.mktemp("zh"))  # no VODGUARD_ASR_* in its environment
    assert done.returncode == 2, done.stderr  # 2: at least one file is blocked
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    return {Path(line["Path"]).name: line for line in lines}


@pytest.mark.parametrize(
    ("name", "labels"), [("rec_aishell.flac", {"Terror", "Abuse"}), ("rec_wenet_long.flac", {"Ad"})]
)
def test_a_spoken_mandarin_violation_is_flagged_with_its_chinese_words(
    verdicts: dict[str, dict[str, Any]], name: str, labels: set[str]
) -> None:
    verdict = verdicts[name]
    recorded, dubbed = truth(name)["segments"]
    assert set(dubbed["labels"]) == labels
    assert verdict["Suggestion"] in {"review", "block"}, verdict
    speech = [s for s in verdict["SegmentSet"] if s["Form"] == "ASR"]
    assert {s["Label"] for s in speech} == labels, speech
    for segment in speech:
        assert HANZI.search(segment["Text"]), segment  # the transcript is Chinese, not English-sounding noise
        assert (
            dubbed["start"] - 1 <= segment["StartTimeOffset"] < segment["EndTimeOffset"] <= dubbed["end"] + 1
        )
        assert segment["StartTimeOffset"] > recorded["end"]  # the real speaker's news sentence is not flagged


def test_a_second_voice_after_a_pause_is_not_skipped(verdicts: dict[str, dict[str, Any]]) -> None:
    # Whisper base alone heard only the recorded sentence of this clip and skipped the dubbed one after it
    speech = [s for s in verdicts["rec_wenet_mid.flac"]["SegmentSet"] if s["Form"] == "ASR"]
    assert {(s["Label"], s["SubLabel"]) for s in speech} == {("Illegal", "Gambling")}, speech
    assert "赌博" in speech[0]["Text"] or "賭博" in speech[0]["Text"]


def test_english_speech_in_the_same_run_is_found_as_before(verdicts: dict[str, dict[str, Any]]) -> None:
    verdict = verdicts["speech.wav"]
    threat = fixture_truth("speech.json")["segments"][1]
    speech = [s for s in verdict["SegmentSet"] if s["Form"] == "ASR"]
    assert {"Terror", "Abuse"} <= {s["Label"] for s in speech}, speech
    assert all(threat["start"] - 1 <= s["StartTimeOffset"] <= threat["end"] + 1 for s in speech)
    assert any("kill" in s["Text"].lower() for s in speech)
