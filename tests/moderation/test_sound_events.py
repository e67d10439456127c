"""Voice by YAMNet: what it hears in our fixtures, the rules that turn patch scores into events, and bad models."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.media import read_wav
from tests.paths import FIXTURES, fixture_path
from vodguard.moderation.detectors.sound_events import (
    EXPLOSION,
    FIREWORKS,
    GUN,
    MOAN,
    SCREAM,
    SoundEventDetector,
    events_from_scores,
    log_mel_patches,
    runs,
)
from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.types import AudioTrack

RATE = 16000
SILENCE_CLASS = 494  # "Silence" in YAMNet's class map


@pytest.fixture(scope="module")
def detector() -> SoundEventDetector:
    return SoundEventDetector()


def wav(name: str) -> np.ndarray:
    return read_wav(fixture_path(name)).samples


def test_front_end_shapes_patches_like_yamnet() -> None:
    patches = log_mel_patches(np.zeros(RATE * 3, np.float32))
    assert patches.shape == (5, 1, 96, 64)  # 0.96 s patches every 0.48 s over 3 s
    assert np.allclose(patches, np.log(0.001))  # silence sits on the model's input floor
    assert log_mel_patches(np.zeros(100, np.float32)).shape == (1, 1, 96, 64)  # shorter than a patch: padded


def test_model_hears_silence_as_silence(detector: SoundEventDetector) -> None:
    probs = detector.scores(np.zeros(RATE * 2, np.float32))
    assert int(probs.max(axis=0).argmax()) == SILENCE_CLASS


@pytest.mark.parametrize("name", ["speech.wav", "speech_zh.wav", "babble.wav"])
def test_speech_is_not_an_event(detector: SoundEventDetector, name: str) -> None:
    assert detector(AudioTrack(wav(name))) == []


@pytest.mark.parametrize("kind", ["tone", "noise", "silence", "clipped square wave"])
def test_tones_and_noise_are_not_events(detector: SoundEventDetector, kind: str) -> None:
    t = np.arange(RATE * 6) / RATE
    audio = {
        "tone": 0.5 * np.sin(2 * np.pi * 440 * t),
        "noise": np.random.default_rng(1).normal(0, 0.2, t.size),
        "silence": np.zeros(t.size),
        "clipped square wave": np.sign(np.sin(2 * np.pi * 3 * t)) * 0.9,
    }[kind]
    assert detector(AudioTrack(audio.astype(np.float32))) == []


def test_empty_audio_gives_nothing(detector: SoundEventDetector) -> None:
    assert detector(AudioTrack(np.zeros(0, np.float32))) == []


def scores(n: int, **columns: list[tuple[int, float]]) -> np.ndarray:
    """[n, 521] probabilities with chosen patches set: scores(6, gun=[(2, 0.6)])."""
    probs = np.zeros((n, 521), np.float32)
    classes = {
        "gun": GUN[0],
        "explosion": EXPLOSION[0],
        "fireworks": FIREWORKS[0],
        "scream": SCREAM[0],
        "moan": MOAN[0],
    }
    for name, cells in columns.items():
        for index, value in cells:
            probs[index, classes[name]] = value
    return probs


def test_one_patch_is_not_enough_unless_it_is_sure() -> None:
    assert events_from_scores(scores(8, gun=[(3, 0.6)])) == []
    (sure,) = events_from_scores(scores(8, gun=[(3, 0.9)]))
    assert (sure.label, sure.sub_label) == ("Terror", "Gunshot")
    assert sure.start == pytest.approx(3 * 0.48) and sure.end == pytest.approx(3 * 0.48 + 0.96)


def test_a_burst_with_one_quiet_patch_is_one_event() -> None:
    (burst,) = events_from_scores(scores(10, gun=[(2, 0.5), (4, 0.6), (5, 0.4)]))
    assert burst.start == pytest.approx(2 * 0.48) and burst.score == pytest.approx(0.6)
    assert len(events_from_scores(scores(12, gun=[(1, 0.5), (2, 0.5), (8, 0.5), (9, 0.5)]))) == 2


def test_fireworks_louder_than_the_bang_are_not_terror() -> None:
    assert events_from_scores(scores(6, gun=[(1, 0.7), (2, 0.7)], fireworks=[(1, 0.9), (2, 0.8)])) == []
    (bang,) = events_from_scores(scores(6, explosion=[(1, 0.7), (2, 0.7)], fireworks=[(1, 0.2)]))
    assert bang.sub_label == "Explosion"


def test_screams_and_moans_need_a_run_and_never_exceed_review() -> None:
    assert events_from_scores(scores(6, scream=[(1, 0.99)])) == []
    found = events_from_scores(scores(8, scream=[(1, 0.9), (2, 0.9)], moan=[(5, 0.7), (6, 0.7)]))
    assert [(e.label, e.sub_label) for e in found] == [("Terror", "Scream"), ("Moan", "Moan")]


def test_runs_reports_first_last_and_best() -> None:
    assert runs(np.array([0.0, 0.4, 0.5, 0.0, 0.0, 0.0]), floor=0.3, sure=0.8) == [(1, 2, 0.5)]


def test_a_corrupt_model_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "YamNet_w8a8.onnx.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ModelUnavailable, match="YamNet_w8a8.onnx.zip"):
        SoundEventDetector(bad)
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("readme.txt", "nothing")
    with pytest.raises(ModelUnavailable, match="no model.onnx"):
        SoundEventDetector(empty)


# Recorded gunfire, explosions and hard negatives, CC0 or CC-BY (tests/fixtures/sounds/SOURCES.md). The clips are
# set inside a short track, as in a video. The thresholds were fixed before these clips were heard; these tests
# keep the measured behaviour (docs/quality.md), they were not fitted to it.
SOUNDS = sorted(p.name for p in (FIXTURES / "sounds").glob("*.wav"))
ORDINARY = ("balloon", "clapping", "construction", "door", "hammering", "music")


def in_a_track(name: str) -> AudioTrack:
    clip = wav(f"sounds/{name}")
    return AudioTrack(np.concatenate([np.zeros(RATE // 2, np.float32), clip, np.zeros(RATE, np.float32)]))


def test_recorded_gunfire_and_explosions_are_heard(detector: SoundEventDetector) -> None:
    positives = [name for name in SOUNDS if name.startswith("pos_")]
    assert len(positives) == 13
    found = {name: detector(in_a_track(name)) for name in positives}
    heard = [name for name, findings in found.items() if any(f.label == "Terror" for f in findings)]
    assert len(heard) >= 9, f"heard only {heard}"
    for name in heard:
        for finding in found[name]:
            assert (finding.form, finding.sub_label) in (("Voice", "Gunshot"), ("Voice", "Explosion"))


@pytest.mark.parametrize("name", [n for n in SOUNDS if n.startswith("neg_") and n.split("_")[1] in ORDINARY])
def test_ordinary_bangs_and_music_are_not_events(detector: SoundEventDetector, name: str) -> None:
    assert detector(in_a_track(name)) == []
