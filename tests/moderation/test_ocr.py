"""OCR: the bundled RapidOCR models read real pictures, the change gate re-reads only what changed, findings."""

from __future__ import annotations

import collections
import re
import socket
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from vodguard.moderation.detectors.ocr import (
    ChangeGate,
    OcrDetector,
    OcrLine,
    OcrReader,
    same_text,
    text_blocks,
)
from vodguard.moderation.detectors.ocr.cells import TextCells
from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.text import TextModerator, get_text_moderator
from vodguard.moderation.types import Frame

FONTS = {
    "latin": Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    "cjk": Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
}


@pytest.fixture(scope="module")
def reader() -> OcrReader:
    return OcrReader()


@pytest.fixture(scope="module")
def moderator() -> TextModerator:
    return get_text_moderator()


def font(kind: str, size: int) -> ImageFont.FreeTypeFont:
    path = FONTS[kind]
    if not path.is_file():
        pytest.skip(f"{path} is absent (Debian fonts-dejavu-core / fonts-wqy-microhei)")
    return ImageFont.truetype(str(path), size)


def render(lines: list[tuple[str, tuple[int, int], ImageFont.FreeTypeFont]], *, seed: int = 1) -> np.ndarray:
    """A 1280x720 RGB frame: a busy random background, each text on a dark box as video captions are."""
    background = np.random.default_rng(seed).integers(40, 200, (720, 1280, 3), dtype=np.uint8)
    picture = Image.fromarray(background)
    draw = ImageDraw.Draw(picture)
    for text, (x, y), face in lines:
        left, top, right, bottom = draw.textbbox((x, y), text, font=face)
        draw.rectangle((left - 12, top - 12, right + 12, bottom + 12), fill=(10, 10, 10))
        draw.text((x, y), text, font=face, fill=(255, 255, 255))
    return np.asarray(picture)


def text_box(text: str, at: tuple[int, int], face: ImageFont.FreeTypeFont) -> tuple[int, int, int, int]:
    probe = ImageDraw.Draw(Image.new("RGB", (8, 8)))
    left, top, right, bottom = probe.textbbox(at, text, font=face)
    return (int(left), int(top), int(right), int(bottom))


def near(box: tuple[int, int, int, int], truth: list[int] | tuple[int, ...], slack: int = 12) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(box, truth, strict=True))


def squash(text: str) -> str:
    return "".join(text.lower().split())


def video_frames(path: Path, times: list[float]) -> list[Frame]:
    """The first decoded frame at or after each time."""
    wanted = sorted(times)
    frames: list[Frame] = []
    with av.open(str(path)) as container:
        for decoded in container.decode(container.streams.video[0]):
            if wanted and decoded.time is not None and decoded.time >= wanted[0] - 1e-6:
                frames.append(Frame(decoded.to_ndarray(format="rgb24"), wanted.pop(0), len(frames)))
            if not wanted:
                break
    return frames


# --- reading ---


def test_reads_english_and_chinese_where_they_are(
    reader: OcrReader, fixture_file: Callable[[str], Path], truth: Callable[[str], dict[str, Any]]
) -> None:
    image = np.asarray(Image.open(fixture_file("images/text.png")).convert("RGB"))
    page = reader.read(image)
    for expected in truth("images/text_image.json")["text"]:
        matches = [line for line in page.lines if squash(expected["text"]) in squash(line.text)]
        assert matches, f"{expected['text']!r} not in {[line.text for line in page.lines]}"
        assert near(matches[0].box, expected["box"]), (matches[0].box, expected["box"])
        assert matches[0].score > 0.8


def test_reads_rendered_caption_and_small_corner_text(reader: OcrReader) -> None:
    caption, clock = font("cjk", 48), font("latin", 20)
    frame = render(
        [("今天天气很好，我们去公园散步吧", (160, 560), caption), ("LIVE 12:04:33", (24, 24), clock)]
    )
    page = reader.read(frame)
    texts = [line.text for line in page.lines]
    assert any("今天天气很好" in t and "公园散步" in t for t in texts), texts
    assert any("12:04:33" in t for t in texts), texts
    zh = next(line for line in page.lines if "公园" in line.text)
    assert near(zh.box, text_box("今天天气很好，我们去公园散步吧", (160, 560), caption), slack=20)


def test_a_line_reads_the_same_alone_and_beside_a_long_caption(reader: OcrReader) -> None:
    # rec reads each line alone: in a batch a short clock would be padded to the caption's width, costing
    # as much as the caption and moving the clock's score with what else is on the frame
    clock, caption = font("latin", 20), font("latin", 40)
    alone = render([("LIVE 12:04:33", (24, 24), clock)])
    beside = render(
        [
            ("LIVE 12:04:33", (24, 24), clock),
            ("THE LONGEST CAPTION OF THIS WHOLE VIDEO, READ", (60, 560), caption),
        ]
    )
    quad = np.array([[20, 20], [180, 20], [180, 52], [20, 52]], np.float32)
    caption_quad = np.array([[40, 540], [1240, 540], [1240, 620], [40, 620]], np.float32)
    [one] = reader.recognise(alone, [quad])
    both = reader.recognise(beside, [quad, caption_quad])
    assert one is not None and both[0] is not None and both[1] is not None
    assert "12:04:33" in one.text
    assert (both[0].text, both[0].score) == (one.text, one.score)


def test_frame_without_text_has_no_lines_and_skips_rec(
    reader: OcrReader, fixture_file: Callable[[str], Path]
) -> None:
    smooth = np.zeros((720, 1280, 3), np.uint8)
    smooth[..., 0] = np.linspace(0, 255, 1280, dtype=np.uint8)[None, :]
    smooth[..., 2] = np.linspace(0, 255, 720, dtype=np.uint8)[:, None]
    for picture in (
        np.random.default_rng(7).integers(40, 200, (720, 1280, 3), dtype=np.uint8),
        np.asarray(Image.open(fixture_file("images/gradient.jpg")).convert("RGB")),
        smooth,
    ):
        page = reader.read(picture)
        assert page.lines == ()
        assert page.recognised == 0


def test_models_load_without_touching_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("OCR tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    fresh = OcrReader(threads=1)
    assert fresh.read(np.zeros((64, 64, 3), np.uint8)).lines == ()


def test_the_upside_down_classifier_loads_only_when_it_is_used(
    fixture_file: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import onnxruntime as ort

    loaded: list[str] = []
    real = ort.InferenceSession

    class Counted(real):  # type: ignore[misc,valid-type]
        def __init__(self, model: str | bytes, *args: object, **kwargs: object) -> None:
            # det comes as bytes: the bundled model with its hidden layer as a second output (cells.py)
            loaded.append(Path(model).name if isinstance(model, str) else "det with its hidden layer")
            super().__init__(model, *args, **kwargs)

    monkeypatch.setattr(ort, "InferenceSession", Counted)
    OcrReader(threads=1)
    assert len(loaded) == 2 and not any("cls" in name for name in loaded), loaded
    loaded.clear()
    with_cls = OcrReader(threads=1, use_cls=True)
    assert any("cls" in name for name in loaded), loaded
    image = np.asarray(Image.open(fixture_file("images/text.png")).convert("RGB"))
    assert any("wechat" in line.text.lower() for line in with_cls.read(image).lines)


def test_an_operators_ocr_models_are_used_and_checked(
    tmp_path: Path, fixture_file: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import onnx

    from vodguard.moderation.detectors.ocr.reader import _MODEL_FILES, _bundled_models

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("OCR tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    # A PP-OCR rec model as PaddleOCR exports it: no character list inside, the characters in a keys file.
    rec = onnx.load(str(_bundled_models() / _MODEL_FILES["Rec"]))
    meta = {p.key: p.value for p in rec.metadata_props}
    del rec.metadata_props[:]
    onnx.save(rec, str(tmp_path / "rec.onnx"))
    keys = tmp_path / "keys.txt"
    keys.write_text("\n".join(meta["character"].splitlines()) + "\n", encoding="utf-8")
    with pytest.raises(ModelUnavailable, match="no character list: set ocr_rec_keys_path"):
        OcrReader(threads=1, rec_model=tmp_path / "rec.onnx")
    own = OcrReader(threads=1, rec_model=tmp_path / "rec.onnx", rec_keys=keys)
    image = np.asarray(Image.open(fixture_file("images/text.png")).convert("RGB"))
    assert any("wechat" in line.text.lower() for line in own.read(image).lines)
    with pytest.raises(ModelUnavailable, match="ocr_det_model_path="):
        OcrReader(threads=1, det_model=tmp_path / "missing.onnx")
    with pytest.raises(ModelUnavailable, match="cannot be loaded"):
        OcrReader(threads=1, det_model=keys)  # a file that is no model


# --- the change gate ---


def test_gate_reuses_an_identical_frame(reader: OcrReader) -> None:
    frame = render([("SUBMIT EXPENSES BY FRIDAY", (200, 560), font("latin", 48))])
    gate = ChangeGate(reader)
    first = gate.read(Frame(frame, 0.0, 0))
    again = gate.read(Frame(frame.copy(), 1.0, 1))
    assert [line.text for line in first.lines] == ["SUBMIT EXPENSES BY FRIDAY"]
    assert first.recognised == 1 and first.detected is not None
    assert again.detected is None and again.recognised == 0
    assert again.lines == first.lines


def test_a_session_carries_the_gate_across_batches(reader: OcrReader, moderator: TextModerator) -> None:
    frame = render([("加微信abc123领取免费福利", (200, 560), font("cjk", 48))])
    session = OcrDetector(moderator, reader).session()
    first = session([Frame(frame, 0.0, 0)])
    (page,) = session.read_frames([Frame(frame.copy(), 2.0, 1)])
    assert page.detected is None and page.recognised == 0
    again = session([Frame(frame.copy(), 4.0, 2)])
    assert [f.label for f in first] == [f.label for f in again] and "Ad" in [f.label for f in again]
    assert again[0].start == 4.0 and again[0].frame_index == 2


def test_gate_rereads_only_the_line_that_changed(reader: OcrReader) -> None:
    caption, clock = font("latin", 48), font("latin", 28)
    frames = [
        Frame(render([("QUARTERLY REVIEW", (300, 560), caption), (f"00:00:0{i}", (24, 24), clock)]), i, i)
        for i in range(3)
    ]
    frames.append(
        Frame(render([("I WILL KILL YOU", (300, 560), caption), ("00:00:02", (24, 24), clock)]), 3, 3)
    )
    gate = ChangeGate(reader)
    pages = [gate.read(frame) for frame in frames]
    assert [sorted(line.text for line in page.lines) for page in pages] == [
        ["00:00:00", "QUARTERLY REVIEW"],
        ["00:00:01", "QUARTERLY REVIEW"],
        ["00:00:02", "QUARTERLY REVIEW"],
        ["00:00:02", "I WILL KILL YOU"],
    ]
    # the ticking clock is the only change: det runs on the corner alone and rec reads one crop
    assert [page.recognised for page in pages] == [2, 1, 1, 1]
    corner = pages[1].detected
    assert corner is not None and corner[2] < 640 and corner[3] < 360


def test_gate_catches_one_changed_letter(reader: OcrReader) -> None:
    face = font("latin", 40)
    gate = ChangeGate(reader)
    gate.read(Frame(render([("MEET ME AT THE KISS BAR", (200, 400), face)]), 0.0, 0))
    page = gate.read(Frame(render([("MEET ME AT THE KILL BAR", (200, 400), face)]), 1.0, 1))
    assert [line.text for line in page.lines] == ["MEET ME AT THE KILL BAR"]


def test_gate_catches_a_small_digit_that_changed(reader: OcrReader) -> None:
    # 0 -> 8 adds a few pixels to a small line: they vanish in coarse thumbnails and block means
    for size in (12, 14):
        clock = font("latin", size)
        gate = ChangeGate(reader)
        gate.read(Frame(render([("00:00:10.000", (24, 24), clock)]), 0.0, 0))
        page = gate.read(Frame(render([("00:00:18.000", (24, 24), clock)]), 2.0, 1))
        assert [line.text for line in page.lines] == ["00:00:18.000"], size


def test_same_text_sees_a_few_strong_pixels_but_not_a_faint_moving_background() -> None:
    rng = np.random.default_rng(3)
    box = (100, 50, 400, 86)  # a line 36 px high: blocks of 18 x ~22 px
    old = np.full((720, 1280), 20, np.int16)
    old[60:76, 110:390:6] = 230  # strokes
    crop = old[50:86, 100:400].copy()
    faint = np.clip(old + rng.integers(-30, 31, old.shape), 0, 255).astype(np.uint8)
    assert same_text(box, crop, box, faint)
    stroke = old.astype(np.uint8).copy()
    stroke[66:69, 200:203] = 230  # a 3 x 3 px bar: 0 turned into 8
    assert not same_text(box, crop, box, stroke)


def screen_regions(reader: OcrReader, image: np.ndarray, *, picture: bool = False) -> list | None:
    """The boxes of the reader's text screen, ``None`` where it reads the frame whole."""
    screen = reader.text_screen(image, picture=picture)
    return None if screen is None else screen.regions


def test_screen_marks_every_line_in_a_small_share_of_the_frame(reader: OcrReader) -> None:
    texts = [
        ("今天天气很好，我们去公园散步吧", (160, 560), font("cjk", 48)),
        ("00:01:02.000", (24, 24), font("latin", 14)),
        ("WWW.EXAMPLE.COM", (900, 300), font("latin", 24)),
    ]
    frame = render(texts)
    regions = screen_regions(reader, frame)
    assert regions is not None
    for text, at, face in texts:
        x1, y1, x2, y2 = text_box(text, at, face)
        assert any(r[0] <= x1 and r[1] <= y1 and x2 <= r[2] and y2 <= r[3] for r in regions), (text, regions)
    assert sum((r[2] - r[0]) * (r[3] - r[1]) for r in regions) < 0.35 * 1280 * 720
    assert screen_regions(reader, frame[:360, :480]) is None  # small frames are read whole


def small_picture(size: int, *, width: int = 640, height: int = 360) -> np.ndarray:
    """A busy picture with two short captions of ``size`` px type, one at the bottom, one in a corner."""
    background = np.random.default_rng(3).integers(40, 200, (height, width, 3), dtype=np.uint8)
    picture = Image.fromarray(background)
    draw = ImageDraw.Draw(picture)
    face = font("latin", size)
    for text, at in (("BUY COCAINE ONLINE NOW", (24, height - 60)), ("free porn videos", (width // 2, 24))):
        left, top, right, bottom = draw.textbbox(at, text, font=face)
        draw.rectangle((left - 6, top - 6, right + 6, bottom + 6), fill=(10, 10, 10))
        draw.text(at, text, font=face, fill=(255, 255, 255))
    return np.asarray(picture)


@pytest.mark.parametrize("size", [8, 12, 24])
def test_a_picture_is_screened_first_and_its_lines_are_all_found(reader: OcrReader, size: int) -> None:
    # a picture's gate reads det only where the half-size screen sees text, from the first frame on; down to
    # 8 px type it finds the lines a full-size det finds, in the same places
    image = small_picture(size)
    regions = screen_regions(reader, image, picture=True)
    assert regions is not None
    assert sum((r[2] - r[0]) * (r[3] - r[1]) for r in regions) < 0.35 * 640 * 360
    full = reader.read(image).lines
    screened = ChangeGate(reader, pictures=True).read(Frame(image, 0.0, 0)).lines
    assert len(full) == len(screened) == 2
    for line in full:
        assert any(near(line.box, other.box) for other in screened), (line, screened)
    assert any(squash(line.text) == "buycocaineonlinenow" for line in screened), screened


def test_a_small_picture_is_screened_where_a_video_frame_would_not_be(reader: OcrReader) -> None:
    image = small_picture(12, width=480, height=270)
    assert screen_regions(reader, image) is None  # a video frame this small: det reads it whole
    assert screen_regions(reader, image, picture=True) is not None


FLOWER = Path(__file__).resolve().parents[1] / "fixtures/clean_pictures/photo_sklearn_flower_full.jpg"


@pytest.fixture(scope="module")
def whole_reader() -> OcrReader:
    return OcrReader(text_cells=False)


def captions_over_petals(size: int) -> np.ndarray:
    """The flower photo (640x427, a source the text cells never trained on) with two ``size`` px captions."""
    picture = Image.open(FLOWER).convert("RGB")
    draw = ImageDraw.Draw(picture)
    for text, at, kind in (
        ("BUY COCAINE ONLINE NOW", (16, 427 - 3 * size), "latin"),
        ("加微信买枪 货到付款", (16, 16), "cjk"),
    ):
        draw.text(
            at, text, font=font(kind, size), fill=(255, 255, 255), stroke_width=1, stroke_fill=(0, 0, 0)
        )
    return np.asarray(picture)


def words(lines: Sequence[OcrLine]) -> collections.Counter:
    return collections.Counter(
        w for line in lines for w in re.findall(r"[A-Za-z0-9]{2,}|[\u3400-\u9fff]", line.text)
    )


def test_a_busy_photo_without_text_is_not_read_whole(reader: OcrReader, whole_reader: OcrReader) -> None:
    # the screen marks most of a picture of petals; det read it whole at full size and found nothing. The text
    # cells (cells.py) see no line in it, so the gate reads almost none of it.
    image = np.asarray(Image.open(FLOWER).convert("RGB"))
    assert screen_regions(whole_reader, image, picture=True) is None
    regions = screen_regions(reader, image, picture=True)
    assert regions is not None
    assert sum((r[2] - r[0]) * (r[3] - r[1]) for r in regions) < 0.1 * image.shape[0] * image.shape[1]
    assert ChangeGate(reader, pictures=True).read(Frame(image, 0.0, 0)).lines == ()


@pytest.mark.parametrize("size", [11, 14])
def test_captions_on_a_busy_photo_are_read_where_the_cells_see_them(
    reader: OcrReader, whole_reader: OcrReader, size: int
) -> None:
    image = captions_over_petals(size)
    assert screen_regions(whole_reader, image, picture=True) is None  # busy: the cells decide
    regions = screen_regions(reader, image, picture=True)
    assert regions is not None  # and send det to a part of the picture only
    assert sum((r[2] - r[0]) * (r[3] - r[1]) for r in regions) < 0.3 * 640 * 427
    whole = words(whole_reader.read(image).lines)
    read = words(ChangeGate(reader, pictures=True).read(Frame(image, 0.0, 0)).lines)
    assert sum(whole.values()) == 13 and read == whole, (whole, read)


def test_the_operator_can_turn_the_cells_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from vodguard.config import Settings
    from vodguard.moderation.detectors import DETECTORS
    from vodguard.services.engine_settings import engine_config

    monkeypatch.setenv("VODGUARD_OCR_TEXT_CELLS", "false")
    config = engine_config(Settings(data_dir=tmp_path))
    assert config.ocr_text_cells is False
    detector = DETECTORS["ocr"].build(OcrDetector, config, False, lambda _what: get_text_moderator())
    image = np.asarray(Image.open(FLOWER).convert("RGB"))
    # the engine's reader reads the busy photo whole again
    assert detector.reader.text_screen(image, picture=True) is None


def test_a_missing_or_broken_text_cell_model_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "text_cells.npz"
    broken.write_bytes(b"not a numpy archive")
    for path in (tmp_path / "absent.npz", broken):
        with pytest.raises(ModelUnavailable, match=str(path)):
            TextCells(path)


def test_gate_on_a_moving_picture_reads_what_reading_every_frame_reads(reader: OcrReader) -> None:
    caption, clock = font("latin", 48), font("latin", 14)
    captions = ["QUARTERLY REVIEW", "QUARTERLY REVIEW", "I WILL KILL YOU", "I WILL KILL YOU", "加微信abc123"]
    frames = []
    for i, text in enumerate(captions):
        face = font("cjk", 48) if not text.isascii() else caption
        # a new background every frame: the change gate sees the whole picture change each time
        lines = [(text, (300, 560), face), (f"00:00:0{2 * i}.000", (24, 24), clock)]
        frames.append(Frame(render(lines, seed=10 + i), 2.0 * i, i))
    gated = OcrDetector(lambda text: [], reader).read_frames(frames)
    plain = OcrDetector(lambda text: [], reader, gate=False).read_frames(frames)
    expected = [sorted([text, f"00:00:0{2 * i}.000"]) for i, text in enumerate(captions)]
    assert [sorted(line.text for line in page.lines) for page in plain] == expected
    # the clock ticked at reads 1-3, so at the fifth it keeps its last reading (test_ticker.py)
    expected[4] = sorted([captions[4], "00:00:06.000"])
    assert [sorted(line.text for line in page.lines) for page in gated] == expected
    assert all(page.detected == (0, 0, 1280, 720) for page in gated)


def test_gate_gives_what_reading_every_frame_gives(
    reader: OcrReader, fixture_file: Callable[[str], Path]
) -> None:
    frames = video_frames(fixture_file("text_video.mp4"), [float(t) for t in range(0, 20, 2)])
    gated = OcrDetector(lambda text: [], reader).read_frames(frames)
    plain = OcrDetector(lambda text: [], reader, gate=False).read_frames(frames)
    assert [[line.text for line in p.lines] for p in gated] == [
        [line.text for line in p.lines] for p in plain
    ]
    assert sum(p.recognised for p in gated) < sum(p.recognised for p in plain)


# --- blocks and findings ---


def line(text: str, box: tuple[int, int, int, int]) -> OcrLine:
    return OcrLine(text, 0.99, box)


def test_blocks_join_stacked_lines_and_keep_distant_ones_apart() -> None:
    clock = line("00:01:02", (10, 10, 120, 40))
    top = line("限时福利 加微", (200, 560, 700, 610))
    bottom = line("信abc123", (200, 620, 420, 668))
    far = line("LIVE", (1150, 600, 1260, 640))
    blocks = text_blocks([clock, top, bottom, far])
    assert [[item.text for item in block] for block in blocks] == [
        ["00:01:02"],
        ["限时福利 加微", "信abc123"],
        ["LIVE"],
    ]


def test_video_captions_give_ad_and_porn_findings(
    reader: OcrReader,
    moderator: TextModerator,
    fixture_file: Callable[[str], Path],
    truth: Callable[[str], dict[str, Any]],
) -> None:
    frames = video_frames(fixture_file("text_video.mp4"), [1.0, 5.0, 6.0, 10.0, 13.0, 14.0])
    findings = OcrDetector(moderator, reader)(frames)
    captions = truth("text_video.json")["text"]
    for caption in captions:
        during = [f for f in findings if caption["start"] <= f.start < caption["end"]]
        assert {"Ad", "Porn"} <= {f.label for f in during}, (caption["text"], during)
        assert all(f.form == "OCR" and f.start == f.end and f.frame_index is not None for f in during)
        assert all(f.box is not None and near(f.box, caption["box"], slack=20) for f in during), during
    assert not [f for f in findings if f.start in (1.0, 10.0)], "frames without a caption gave findings"
    zh_ad = next(f for f in findings if f.label == "Ad" and f.start == 13.0)
    assert "加微信" in zh_ad.text and zh_ad.keywords and zh_ad.confidence >= 50


def test_phrase_split_over_two_caption_lines_is_found(reader: OcrReader, moderator: TextModerator) -> None:
    face = font("cjk", 44)
    frame = render([("限时福利快来加微", (300, 520), face), ("信abc123领取", (300, 590), face)])
    findings = OcrDetector(moderator, reader)([Frame(frame, 7.0, 3)])
    ads = [f for f in findings if f.label == "Ad"]
    assert ads, findings
    assert "加微信" in ads[0].text
    x1, y1, x2, y2 = ads[0].box or (0, 0, 0, 0)
    assert y1 < 540 and y2 > 610, "the box spans both lines the phrase is on"
    assert ads[0].start == ads[0].end == 7.0 and ads[0].frame_index == 3


def caption_over(
    photo: Path, size: tuple[int, int], text: str, height: int, at: tuple[int, int]
) -> np.ndarray:
    """``photo`` stretched to ``size`` with one white outlined caption ``height`` px high at ``at``."""
    picture = Image.open(photo).convert("RGB").resize(size, Image.Resampling.LANCZOS)
    ImageDraw.Draw(picture).text(
        at, text, font=font("latin", height), fill=(255, 255, 255), stroke_width=1, stroke_fill=(0, 0, 0)
    )
    return np.asarray(picture)


@pytest.mark.parametrize(
    ("photo", "size", "height"),
    [
        ("photo_skimage_astronaut_full.jpg", (1280, 720), 13),
        ("photo_skimage_brick_crop_center.jpg", (1280, 720), 11),
        ("photo_skimage_astronaut_full.jpg", (1080, 1920), 20),
    ],
)
def test_small_print_on_a_large_picture_is_read(
    reader: OcrReader, photo: str, size: tuple[int, int], height: int
) -> None:
    # a picture is screened at half its size, whatever its size, and one of twice det's side or more is read whole;
    # at the video's 480 px, each of these lost 3 or 4 of the caption's 6 words
    text = "CHEAP PILLS WITHOUT PRESCRIPTION CALL 5550199"
    image = caption_over(FLOWER.with_name(photo), size, text, height, (40, size[1] // 3))
    read = words(ChangeGate(reader, pictures=True).read(Frame(image, 0.0, 0)).lines)
    missing = words([OcrLine(text, 1.0, (0, 0, 1, 1))]) - read
    assert not missing, (missing, read)
