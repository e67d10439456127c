"""A template's budget (fast / balanced / thorough) reaching the engine, and pre-moderation's early exit on the
"first verdict" benchmark's video (a clean video with a blocked caption part-way through)."""

from __future__ import annotations

import dataclasses

import pytest

from benchmarks.first_verdict import make_video
from vodguard.moderation import Engine, EngineConfig
from vodguard.moderation.plan import BUDGETS, budgeted, plan_for
from vodguard.moderation.presets import labels_template
from vodguard.moderation.types import ModerationResult

# the first-verdict video, small: the porn ad caption from 10 s to 14 s of 150
AT, SHOW, SECONDS = 10.0, 4.0, 150.0


def test_balanced_is_the_configuration_as_it_is_and_the_others_scale_from_it():
    config = EngineConfig(frame_interval=1.5, ocr_interval=3.0, video_tiles=True)
    assert budgeted(config, "balanced") is config
    fast, thorough = budgeted(config, "fast"), budgeted(config, "thorough")
    assert (fast.frame_interval, fast.ocr_interval, fast.video_tiles) == (3.0, 6.0, False)
    assert (thorough.frame_interval, thorough.ocr_interval, thorough.video_tiles) == (0.75, 1.5, True)
    assert set(BUDGETS) == {"fast", "balanced", "thorough"}
    with pytest.raises(ValueError, match="fast, balanced, thorough"):
        budgeted(config, "quick")


def test_thorough_scans_video_frames_in_tiles():
    config = EngineConfig()
    assert not any(
        n.endswith(":tiled") for n in plan_for(["Porn"], budgeted(config, "balanced")).frame_detectors
    )
    assert "nsfw:tiled" in plan_for(["Porn"], budgeted(config, "thorough")).frame_detectors


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(EngineConfig())


def _frames(result: ModerationResult, stage: str) -> int:
    return sum(t.items for t in result.timings if t.name == stage)


def test_a_fast_budget_reads_fewer_frames_and_finds_the_same(engine, fixture_file):
    template = labels_template(["Porn", "Ad"])
    fast, balanced = (
        engine.moderate_media(fixture_file("text_video.mp4"), dataclasses.replace(template, budget=budget))
        for budget in ("fast", "balanced")
    )
    assert 0 < _frames(fast, "decode") < _frames(balanced, "decode")
    assert 0 < _frames(fast, "ocr") < _frames(balanced, "ocr")
    assert {(s.form, s.label) for s in fast.segments} == {(s.form, s.label) for s in balanced.segments}
    assert fast.suggestion == balanced.suggestion == "block"


def test_early_exit_stops_at_the_block_before_the_end_of_the_file(engine, tmp_path):
    video = make_video(
        tmp_path / "first_verdict.mp4", seconds=SECONDS, at=AT, show=SHOW, size=(320, 180), fps=5
    )
    template = dataclasses.replace(labels_template(["Porn", "Ad"]), early_exit=True)
    result = engine.moderate_media(video, template)
    assert result.suggestion == "block"
    assert all(AT - 1 <= s.start and s.end <= AT + SHOW for s in result.segments), result.segments
    # A whole pass samples at least a frame a second (150 here). The decoder and the lanes work a few batches
    # ahead of the verdict (tens of frames at most), so a run that stopped at the caption decoded far fewer.
    assert 0 < _frames(result, "decode") < SECONDS / 2


def _clock_video(path, *, seconds: int = 16, fps: int = 2):
    """A 640x360 H.264 video whose picture moves at every frame (a drifting gradient) and whose corner clock
    shows a new time at every frame: the ticking line OCR's change gate reads only now and then."""
    import numpy as np
    from PIL import Image, ImageDraw

    from tests.media import write_frames
    from tests.moderation.test_ocr import font

    face = font("latin", 28)
    x = np.linspace(0, 255, 640, dtype=np.float32)

    def frame(i: int) -> np.ndarray:
        background = np.zeros((360, 640, 3), np.uint8)
        background[..., 0] = (x + i * 16) % 256
        background[..., 1] = 90
        picture = Image.fromarray(background)
        draw = ImageDraw.Draw(picture)
        draw.rectangle((12, 12, 200, 56), fill=(10, 10, 10))
        draw.text((20, 16), f"00:00:{i:02d}", font=face, fill=(255, 255, 255))
        return np.asarray(picture)

    return write_frames(path, (frame(i) for i in range(seconds * fps)), fps=fps, crf=18)


def test_the_thorough_budget_reads_a_ticking_line_at_every_change(engine, tmp_path):
    # the balanced budget lets the corner clock keep its last reading between every 8th change; the thorough one
    # reads it at every OCR frame (the budget's ocr_ticking reaches the call's OCR session, not only its config)
    video = _clock_video(tmp_path / "clock.mp4")
    runs = {
        budget: engine.moderate_media(video, dataclasses.replace(labels_template(["Ad"]), budget=budget))
        for budget in ("balanced", "thorough")
    }
    read = {budget: (_frames(r, "ocr"), _frames(r, "ocr_rec")) for budget, r in runs.items()}
    frames, lines = read["balanced"]
    assert frames >= 8 and lines < frames - 2, read
    frames, lines = read["thorough"]
    assert frames >= 16 and lines >= frames, read
