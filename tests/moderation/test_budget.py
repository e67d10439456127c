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
