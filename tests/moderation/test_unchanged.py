"""Work skipped where it cannot change a result: steady OCR lines (no det) and near-copies of a frame (no picture
models), both under ``EngineConfig.skip_unchanged``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.media import write_frames
from tests.moderation.test_ocr import font, render
from vodguard.moderation.config import EngineConfig
from vodguard.moderation.detectors.ocr import ChangeGate, OcrDetector, OcrReader
from vodguard.moderation.detectors.ocr.reader import TextScreen
from vodguard.moderation.detectors.ocr.steady import steady_lines
from vodguard.moderation.engine import Engine
from vodguard.moderation.near_copies import NearCopies, reusing
from vodguard.moderation.presets import labels_template
from vodguard.moderation.types import Finding, Frame


@pytest.fixture(scope="module")
def reader() -> OcrReader:
    return OcrReader()


# --- steady OCR lines ---


def screen_with(*blobs: tuple[int, int, int, int]) -> TextScreen:
    """A screen of a 1280x720 frame at half scale whose mask marks ``blobs`` (frame pixels)."""
    mask = np.zeros((360, 640), np.uint8)
    for x1, y1, x2, y2 in blobs:
        mask[y1 // 2 : y2 // 2, x1 // 2 : x2 // 2] = 1
    return TextScreen([(0, 500, 1280, 720)], mask, (2.0, 2.0))


CAPTION, SUBTITLE = (200, 560, 1000, 620), (200, 630, 1000, 690)  # two stacked 60-px lines


def test_text_only_on_lines_read_before_is_steady() -> None:
    screen = screen_with((210, 566, 990, 614), (210, 636, 700, 684))
    assert steady_lines(screen, (0, 500, 1280, 720), [CAPTION, SUBTITLE]) == [0, 1]
    # a line the screen cannot see is still one det would read there: rec looks at its place
    assert steady_lines(screen_with((210, 566, 990, 614)), (0, 500, 1280, 720), [CAPTION, SUBTITLE]) == [0, 1]


def test_text_outside_the_lines_read_before_needs_det() -> None:
    region = (0, 500, 1280, 720)
    # a word appended past the caption's end
    assert steady_lines(screen_with((210, 566, 1090, 614)), region, [CAPTION, SUBTITLE]) is None
    # a speck of text away from every line
    assert steady_lines(screen_with((210, 566, 990, 614), (1100, 520, 1110, 530)), region, [CAPTION]) is None
    # one tall line where two were: rec would read half a line at each old place
    assert steady_lines(screen_with((210, 570, 990, 680)), region, [CAPTION, SUBTITLE]) is None
    # small type inside the caption's box: the old place would shrink it past reading
    assert steady_lines(screen_with((210, 580, 600, 596)), region, [CAPTION]) is None
    # nothing seen at all: det decides
    assert steady_lines(screen_with(), region, [CAPTION]) is None


def moving_frames(captions: list[str], clock_size: int = 28) -> list[Frame]:
    """Frames on a new busy background each (the whole picture changes, so the gate screens every frame),
    with a caption and a ticking clock."""
    caption, clock = font("latin", 48), font("latin", clock_size)
    return [
        Frame(
            render([(text, (300, 560), caption), (f"00:00:{2 * i:02d}", (24, 24), clock)], seed=40 + i),
            2.0 * i,
            i,
        )
        for i, text in enumerate(captions)
    ]


def test_a_steady_caption_skips_det_and_a_changed_one_is_read_again(reader: OcrReader) -> None:
    captions = ["CALL THEM ALL NOW", "CALL THEM ALL NOW", "CALL THEM ALL NOW", "KILL THEM ALL NOW"]
    frames = moving_frames(captions)
    steady = OcrDetector(lambda text: [], reader).read_frames(frames)
    plain = OcrDetector(lambda text: [], reader, gate=False).read_frames(frames)
    expected = [sorted([text, f"00:00:{2 * i:02d}"]) for i, text in enumerate(captions)]
    assert [sorted(line.text for line in page.lines) for page in plain] == expected
    assert [sorted(line.text for line in page.lines) for page in steady] == expected
    # from the second frame on, det ran nowhere: the screen saw text only on the lines read before
    assert [page.steady > 0 for page in steady] == [False, True, True, True]
    # rec read the ticking clock every time, the caption only when it changed
    assert [page.recognised for page in steady] == [2, 1, 1, 2]


def test_steady_lines_can_be_turned_off(reader: OcrReader) -> None:
    frames = moving_frames(["CALL THEM ALL NOW"] * 3)
    gate = ChangeGate(reader, steady=False)
    assert [gate.read(frame).steady for frame in frames] == [0, 0, 0]


def test_a_caption_that_grows_past_its_box_is_found_by_det(reader: OcrReader) -> None:
    frames = moving_frames(["CALL NOW", "CALL NOW", "CALL THEM ALL NOW"])
    pages = [page for page in OcrDetector(lambda text: [], reader).read_frames(frames)]
    assert "CALL THEM ALL NOW" in [line.text for line in pages[2].lines]


# --- near-copies of a frame ---


def thumb(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 255, (32, 32, 3)).astype(np.float32)


def frame(time: float, index: int, small: np.ndarray) -> Frame:
    return Frame(np.zeros((4, 4, 3), np.uint8), time, index, small)


def test_near_copies_are_few_changed_cells_within_the_span() -> None:
    base = thumb()
    ticked = base.copy()
    ticked[0, :8] += 60  # a clock's digits: 8 cells of 1,024
    subtitle = base.copy()
    subtitle[26:29, 2:30] += 60  # a subtitle line: 84 cells
    faint = base + 6  # codec noise everywhere, under the cell threshold
    copies = NearCopies(max_span=3.0)
    batch = [frame(0, 0, base), frame(1, 1, ticked), frame(2, 2, faint), frame(3, 3, subtitle)]
    assert copies.plan(batch) == 2
    assert [copies.source(f) for f in batch] == [None, 0, 0, None]
    later = [frame(4, 4, subtitle), frame(7.5, 5, subtitle), frame(8, 6, thumb(1))]
    assert copies.plan(later) == 1
    # past the span the models read again, even an identical picture
    assert [copies.source(f) for f in later] == [3, None, None]


def test_a_near_copy_takes_its_frames_findings_at_its_own_time() -> None:
    read: list[int] = []

    def detect(frames: list[Frame]) -> list[Finding]:
        # a stand-in picture model: one finding per frame, scored by the frame's brightness
        read.extend(f.index for f in frames)
        return [
            Finding(
                "Image",
                "Porn",
                "Nsfw",
                float(f.thumb.mean() if f.thumb is not None else 0),
                frame_index=f.index,
            )
            for f in frames
        ]

    copies = NearCopies()
    frames = [frame(0, 0, thumb()), frame(1, 1, thumb()), frame(2, 2, thumb(5)), frame(3, 3, thumb(5))]
    copies.plan(frames[:2])
    run = reusing(detect, copies)
    first, count = run(frames[:2])
    copies.plan(frames[2:])
    second, count2 = run(frames[2:])
    assert read == [0, 2] and (count, count2) == (1, 1)
    assert [(f.frame_index, f.start, f.confidence) for f in first] == [
        (0, 0.0, first[0].confidence),
        (1, 1.0, first[0].confidence),
    ]
    assert [f.frame_index for f in second] == [2, 3] and second[0].confidence == second[1].confidence


def write_still_video(path: Path, *, seconds: int = 8, fps: int = 5) -> Path:
    """A still picture with a small ticking clock in a corner: every sampled frame differs only there."""
    rng = np.random.default_rng(7)
    base = Image.fromarray(rng.integers(60, 190, (360, 640, 3), dtype=np.uint8))
    face = font("latin", 16)

    def ticking() -> Iterator[np.ndarray]:
        for i in range(seconds * fps):
            picture = base.copy()
            draw = ImageDraw.Draw(picture)
            draw.rectangle((8, 8, 90, 30), fill=(0, 0, 0))
            draw.text((12, 10), f"00:00:{i // fps:02d}", font=face, fill=(255, 255, 0))
            yield np.asarray(picture)

    return write_frames(path, ticking(), fps=fps, crf=10)


def test_the_engine_reads_near_copies_once_and_gives_the_same_result(tmp_path: Path) -> None:
    video = write_still_video(tmp_path / "still.mp4")
    template = labels_template(["Porn"])  # three picture models and OCR
    results = {
        on: Engine(EngineConfig(skip_unchanged=on)).moderate_media(video, template) for on in (True, False)
    }
    stages = {on: {t.name: t.items for t in r.timings} for on, r in results.items()}
    assert stages[True]["near_copies"] > 0
    assert stages[True]["nsfw"] + stages[True]["near_copies"] == stages[False]["nsfw"]
    assert "near_copies" not in stages[False]
    assert results[True].suggestion == results[False].suggestion
    assert [(s.form, s.label, s.start, s.end) for s in results[True].segments] == [
        (s.form, s.label, s.start, s.end) for s in results[False].segments
    ]
