"""Ticking lines: a clock or counter that shows a different number at every read is read again only every
8th time it changes (``gate._TICKS``, ``gate._FULL_EVERY``), with the real OCR models."""

from __future__ import annotations

import pytest

from tests.moderation.test_ocr import font, render
from vodguard.moderation.config import EngineConfig
from vodguard.moderation.detectors.ocr import ChangeGate, FrameText, OcrReader
from vodguard.moderation.detectors.ocr.gate import is_number
from vodguard.moderation.plan import budgeted
from vodguard.moderation.types import Frame


@pytest.fixture(scope="module")
def reader() -> OcrReader:
    return OcrReader()


def read(
    reader: OcrReader, corner: list[str], caption: list[str] | None = None, *, ticking: bool = True
) -> list[FrameText]:
    """One gate over frames on a new busy background each, a caption at the bottom and ``corner`` at the top."""
    big, small = font("latin", 48), font("latin", 28)
    captions = caption or ["QUARTERLY REVIEW"] * len(corner)
    gate = ChangeGate(reader, ticking=ticking)
    return [
        gate.read(Frame(render([(c, (300, 560), big), (t, (24, 24), small)], seed=40 + i), 2.0 * i, i))
        for i, (t, c) in enumerate(zip(corner, captions, strict=True))
    ]


def corner_text(page: FrameText) -> str:
    return next(line.text for line in page.lines if line.box[1] < 100)


def test_numbers_times_and_dates_tick_and_words_do_not() -> None:
    assert is_number("00:00:02.000") and is_number("2026-12-06 10:00:01") and is_number("13800001234")
    assert not is_number("12") and not is_number("CALL 555 0100") and not is_number("第3集")


def test_a_clock_is_read_four_times_then_every_eighth_change(reader: OcrReader) -> None:
    clock = [f"00:00:{2 * i:02d}" for i in range(13)]
    pages = read(reader, clock)
    read_at = [i for i, page in enumerate(pages) if page.recognised]
    # the first read takes the caption and the clock; the clock ticks at reads 1-3, then skips 7 changes, is read
    # at the 8th, and skips again
    assert read_at == [0, 1, 2, 3, 11]
    assert [corner_text(p) for p in pages[:4]] == clock[:4]
    # in between, the clock keeps its last reading; the caption is read as ever
    assert {corner_text(p) for p in pages[4:11]} == {clock[3]}
    assert corner_text(pages[11]) == clock[11] and corner_text(pages[12]) == clock[11]
    assert all(line.text == "QUARTERLY REVIEW" for p in pages for line in p.lines if line.box[1] > 400)


def test_a_number_that_stops_ticking_is_read_at_the_next_refresh(reader: OcrReader) -> None:
    # a clock, then a phone number in its place: rec reads the number within eight changes, and keeps it
    corner = [f"00:00:{2 * i:02d}" for i in range(5)] + ["13800001234"] * 10
    pages = read(reader, corner)
    texts = [corner_text(p) for p in pages]
    first = texts.index("13800001234")
    assert 5 <= first <= 5 + 7
    assert texts[first:] == ["13800001234"] * (len(texts) - first)


def test_words_that_change_every_read_are_always_read(reader: OcrReader) -> None:
    words = ["CALL NOW", "BUY TODAY", "LAST CHANCE", "FREE GIFT", "ORDER HERE", "SALE ENDS"]
    pages = read(reader, ["00:00:00"] * len(words), caption=words)
    assert [line.text for p in pages for line in p.lines if line.box[1] > 400] == words


def test_ticking_off_reads_every_change(reader: OcrReader) -> None:
    clock = [f"00:00:{2 * i:02d}" for i in range(6)]
    pages = read(reader, clock, ticking=False)
    assert all(page.recognised for page in pages)
    assert [corner_text(p) for p in pages] == clock


def test_the_thorough_budget_reads_every_change() -> None:
    config = EngineConfig()
    assert (
        config.ocr_ticking
        and budgeted(config, "balanced").ocr_ticking
        and budgeted(config, "fast").ocr_ticking
    )
    assert not budgeted(config, "thorough").ocr_ticking
