"""``ChangeGate``: re-read only the part of a frame whose pixels changed since the last read.

OCR is the dominant cost on video (docs/benchmarks.md), and most sampled frames show the text of the frame
before, so ``ChangeGate`` re-reads only what changed: an unchanged frame costs a thumbnail comparison, a
changed region gets det on that region alone, and only lines whose crop changed go to rec. A static
caption is recognised once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np

from vodguard.moderation.detectors.ocr.boxes import grow, inside, overlaps, quad_box, union_box
from vodguard.moderation.detectors.ocr.reader import OcrLine, OcrReader, TextScreen, plausible_lines
from vodguard.moderation.detectors.ocr.steady import steady_lines
from vodguard.moderation.types import Box, Frame

_GATE_WIDTH = 320  # px of the grey thumbnail the frame gate compares
# grey levels; after area averaging, codec noise stays well under this, a changed glyph not
_GATE_PIXEL_DIFF = 12
_BLOCK_DIFF = 18.0  # mean grey difference in any glyph-sized block of a line that counts as changed text
# ...or this share of a block's pixels changed by this share of the line's contrast (its 98th less its 2nd
# percentile of grey): a small digit turning from 0 to 8 moves its block mean by under 14, while a moving
# picture seen through a caption's dark box changes it by under a third of the caption's contrast.
_STRONG_DIFF = 0.4
_STRONG_SHARE = 0.015
_FULL_EVERY = 8  # a gate reads every 8th whole-frame change at full size, in case the screen missed tiny text
# A line that ticks: in place, and a different number at each of its last _TICKS reads (a clock, a timestamp, a
# counter). Rec reads it again only every _FULL_EVERY-th time it changes; in between it keeps its last reading.
_TICKS = 3
_NUMBER = re.compile(r"[\d\s:.,/-]+")
_NUMBER_DIGITS = 3


def _grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)


def frame_thumbnail(image: np.ndarray) -> np.ndarray:
    """A small grey copy of the frame; area averaging removes codec noise but keeps a changed glyph."""
    h, w = image.shape[:2]
    size = (_GATE_WIDTH, max(1, round(h * _GATE_WIDTH / w)))
    return cv2.resize(_grey(image), size, interpolation=cv2.INTER_AREA).astype(np.int16)


def changed_region(before: np.ndarray, after: np.ndarray, shape: tuple[int, ...]) -> Box | None:
    """The frame-pixel box around every thumbnail cell that changed; ``None`` when none did."""
    h, w = shape[:2]
    if before.shape != after.shape:
        return (0, 0, w, h)
    rows, cols = np.nonzero(np.abs(before - after) >= _GATE_PIXEL_DIFF)
    if rows.size == 0:
        return None
    sy, sx = h / after.shape[0], w / after.shape[1]
    return (
        int(cols.min() * sx),
        int(rows.min() * sy),
        min(w, int(np.ceil((cols.max() + 1) * sx))),
        min(h, int(np.ceil((rows.max() + 1) * sy))),
    )


def same_text(old_box: Box, old_crop: np.ndarray, new_box: Box, grey: np.ndarray) -> bool:
    """Whether the line at ``new_box`` of a grey frame shows what ``old_crop`` (grey pixels of ``old_box``) did.

    The boxes must agree to a quarter of the line height on every edge, so text that grew or moved is read
    again. The pixels are compared in place, in glyph-sized blocks, so one changed character is not averaged
    away by a long line; the margin det adds around the glyphs (it shows the background) is left out.
    """
    if not same_place(old_box, new_box):
        return False
    height = new_box[3] - new_box[1]
    pad = height // 5
    x1, y1 = max(old_box[0], new_box[0]) + pad, max(old_box[1], new_box[1]) + pad
    x2, y2 = min(old_box[2], new_box[2]) - pad, min(old_box[3], new_box[3]) - pad
    if x2 <= x1 or y2 <= y1:
        return False
    before = old_crop[y1 - old_box[1] : y2 - old_box[1], x1 - old_box[0] : x2 - old_box[0]]
    diff = np.abs(grey[y1:y2, x1:x2].astype(np.int16) - before)
    low, high = np.percentile(before, [2, 98])
    strong = max(40.0, _STRONG_DIFF * float(high - low))
    block = max(2, (y2 - y1) // 2)
    for i in range(0, x2 - x1, block):
        part = diff[:, i : i + block]
        if float(part.mean()) >= _BLOCK_DIFF or float((part > strong).mean()) >= _STRONG_SHARE:
            return False
    return True


def same_place(old_box: Box, new_box: Box) -> bool:
    """Whether two line boxes agree to a quarter of the new line's height (at least 4 px) on every edge."""
    tolerance = max(4, (new_box[3] - new_box[1]) // 4)
    return all(abs(o - n) <= tolerance for o, n in zip(old_box, new_box, strict=True))


def is_number(text: str) -> bool:
    """Whether a line reads as a number, a time or a date alone: digits and separators, at least three digits."""
    return _NUMBER.fullmatch(text) is not None and sum(c.isdigit() for c in text) >= _NUMBER_DIGITS


def _crop(grey: np.ndarray, box: Box) -> np.ndarray:
    return grey[box[1] : box[3], box[0] : box[2]].astype(np.int16)


def _patch(old: np.ndarray | None, new: np.ndarray, region: Box, shape: tuple[int, ...]) -> np.ndarray:
    """The thumbnail of what has been read: ``old`` with the cells of the re-read ``region`` taken from ``new``."""
    if old is None or old.shape != new.shape:
        return new
    sy, sx = new.shape[0] / shape[0], new.shape[1] / shape[1]
    x1, y1 = int(region[0] * sx), int(region[1] * sy)
    x2, y2 = int(np.ceil(region[2] * sx)), int(np.ceil(region[3] * sy))
    out = old.copy()
    out[y1:y2, x1:x2] = new[y1:y2, x1:x2]
    return out


@dataclass(frozen=True)
class FrameText:
    """The lines of one frame and what reading it cost.

    ``detected`` is the frame area whose text was looked for again (``None``: the frame equals the last read
    one, nothing ran); ``recognised`` is how many crops went to rec; ``steady`` how many screened regions
    kept the lines read before instead of running det (``steady.py``).
    """

    frame: Frame
    lines: tuple[OcrLine, ...]
    recognised: int
    detected: Box | None
    steady: int = 0


@dataclass(frozen=True)
class _Entry:
    """A line read before: what it says, the grey pixels of its box when rec read it, and the quad rec read it
    from; ``ticks``: how many reads in a row found a different number in its place; ``skipped``: how many
    changes of a ticking line have kept its last reading since rec last read it."""

    line: OcrLine
    crop: np.ndarray
    quad: np.ndarray
    ticks: int = 0
    skipped: int = 0


def _holds(entry: _Entry) -> bool:
    """Whether a ticking line that changed keeps its last reading this time, rather than going to rec."""
    return entry.ticks >= _TICKS and entry.skipped < _FULL_EVERY - 1


def _ticks(before: _Entry | None, line: OcrLine) -> int:
    """How many reads in a row have found a different number in the place of ``line``, this one included."""
    if before is None or not is_number(line.text) or line.text == before.line.text:
        return 0
    return before.ticks + 1 if is_number(before.line.text) else 1


@dataclass
class _Seen:
    """The last read frame of one call: its thumbnail and its lines, each with the grey pixels of its box."""

    thumb: np.ndarray
    lines: list[_Entry]

    def lookup(self, box: Box, grey: np.ndarray) -> _Entry | None:
        """The line read before whose place and pixels ``box`` shows unchanged."""
        for entry in self.lines:
            if same_text(entry.line.box, entry.crop, box, grey):
                return entry
        return None

    def at(self, box: Box) -> _Entry | None:
        """The line read before in the place of ``box``, whatever it shows now."""
        for entry in self.lines:
            if same_place(entry.line.box, box):
                return entry
        return None


class ChangeGate:
    """Reads a sequence of frames, re-reading only the part of each frame that changed since the last read.

    1. Compare grey thumbnails: no cell changed → the previous lines stand, nothing runs.
    2. Det runs only on the box around the changed cells (grown to hold any line it touches); lines wholly
       outside it stand. Past half the frame (a moving picture), the text screen (``OcrReader.text_screen``)
       says where det should look; every ``_FULL_EVERY``-th such frame, and the first, det reads it all.
    3. A detected line whose box and pixels match a line read before keeps its text; the others go to
       rec in one batch.

    ``steady`` (on by default): in a screened region where the screen sees text only on lines read before,
    those lines stand for what det would find (``steady.py``), and step 3 runs on them.

    ``ticking`` (on by default): a line whose place showed a different number at each of its last ``_TICKS``
    reads (a clock, a timestamp, a counter; ``is_number``) keeps its last reading when it changes again, and rec
    reads it only at every ``_FULL_EVERY``-th change. Such a line changes at every read, so rec read it every time,
    and a number alone carries nothing to moderate; a number that stops ticking, or anything else that takes its
    place, is read at the next of those reads at the latest, since what the line shows is compared with the pixels
    rec last read it from. The price: between reads its text is up to seven reads old (14 s at the default
    2-s OCR cadence).

    ``pictures``: the frames are a picture or an animation's frames (ReviewImage), not a video's. Then the
    first frame too goes through the screen, at the picture's scale: a picture is most often one frame, which
    a full-size det would read whole even when it shows no text at all.
    One gate per sequence: it holds the state of one call, never shared between threads.
    """

    def __init__(
        self,
        reader: OcrReader,
        *,
        screen: bool = True,
        pictures: bool = False,
        steady: bool = True,
        ticking: bool = True,
    ) -> None:
        self._reader = reader
        self._ticking = ticking
        self._seen: _Seen | None = None
        self._screen = screen
        self._skip_steady = steady
        self._pictures = pictures
        self._screened = 0  # whole-frame changes read through the screen since the last full-size read

    def read(self, frame: Frame) -> FrameText:
        """The lines of ``frame``, reusing what is unchanged since the previous call."""
        image = frame.image
        h, w = image.shape[:2]
        thumb = frame_thumbnail(image)
        seen = self._seen
        region: Box = (0, 0, w, h)
        if seen is not None and seen.thumb.shape == thumb.shape:
            changed = changed_region(seen.thumb, thumb, image.shape)
            if changed is None:
                # the stored thumbnail stays that of the last read, so a slow fade still adds up to a change
                return FrameText(frame, tuple(entry.line for entry in seen.lines), 0, None)
            region = self._cover_lines(grow(changed, 16, image.shape), seen, image.shape)
            if (region[2] - region[0]) * (region[3] - region[1]) > 0.5 * w * h:
                region = (0, 0, w, h)
        grey = _grey(image)
        kept = [] if seen is None else [entry for entry in seen.lines if not overlaps(entry.line.box, region)]
        boxes_to_read, screen = self._det_boxes(image, region, first=seen is None)
        quads: list[np.ndarray] = []
        steady, taken = 0, set[int]()
        for box in boxes_to_read:
            known = self._steady(screen, box, seen)
            if known is None:
                quads += self._detect(image, box)
                continue
            steady += 1
            for i in known:
                if seen is not None and i not in taken:  # a line may touch two regions: read it once
                    taken.add(i)
                    quads.append(seen.lines[i].quad)
        boxes = [quad_box(q, image.shape) for q in quads]
        found: list[_Entry | None] = [None] * len(quads)
        # the line read before in each place that changed: its ticks carry over to what rec reads there now
        before: list[_Entry | None] = [None] * len(quads)
        todo: list[int] = []
        for i, box in enumerate(boxes):
            same = seen.lookup(box, grey) if seen else None
            held = before[i] = seen.at(box) if seen and same is None else None
            if same is not None:  # unchanged: the same reading, at det's box; it did not tick this time
                found[i] = _Entry(OcrLine(same.line.text, same.line.score, box), _crop(grey, box), quads[i])
            elif self._ticking and held is not None and _holds(held):
                # a ticking line changed again: it keeps its last reading, and the pixels rec read it from, so
                # whatever it shows next is compared with what was read
                found[i] = _Entry(held.line, held.crop, held.quad, held.ticks, held.skipped + 1)
            else:
                todo.append(i)
        for i, line in zip(todo, self._reader.recognise(image, [quads[i] for i in todo]), strict=True):
            if line is not None:  # rec's box is det's (quad_box of the same quad), so before[i] is its place
                found[i] = _Entry(line, _crop(grey, line.box), quads[i], _ticks(before[i], line))
        entries = sorted(kept + [e for e in found if e], key=lambda e: (e.line.box[1], e.line.box[0]))
        self._seen = _Seen(_patch(seen.thumb if seen else None, thumb, region, image.shape), entries)
        return FrameText(frame, tuple(entry.line for entry in entries), len(todo), region, steady)

    def _steady(self, screen: TextScreen | None, box: Box, seen: _Seen | None) -> list[int] | None:
        """Which lines read before stand for det's in a screened ``box``; ``None``: det must run there."""
        if not self._skip_steady or screen is None or seen is None:
            return None
        return steady_lines(screen, box, [entry.line.box for entry in seen.lines])

    @staticmethod
    def _cover_lines(region: Box, seen: _Seen, shape: tuple[int, ...]) -> Box:
        # a line cut by the region would be detected as a fragment: take every line it touches whole
        grown = region
        for entry in seen.lines:
            box = entry.line.box
            if overlaps(box, grown) and not inside(box, grown):
                grown = union_box([grown, grow(box, 8, shape, minimum=0)])
        return grown

    def _det_boxes(
        self, image: np.ndarray, region: Box, *, first: bool
    ) -> tuple[list[Box], TextScreen | None]:
        """Where det runs to re-read ``region``: itself, or where the screen sees text when it is the frame
        (then with the screen, whose mask says where in those boxes text may be)."""
        h, w = image.shape[:2]
        if region != (0, 0, w, h) or not self._screen:
            return [region], None
        if (first and not self._pictures) or self._screened >= _FULL_EVERY - 1:
            self._screened = 0
            return [region], None
        screen = self._reader.text_screen(image, picture=self._pictures)
        if screen is None:
            return [region], None
        self._screened += 1
        return screen.regions, screen

    def _detect(self, image: np.ndarray, region: Box) -> list[np.ndarray]:
        x1, y1, x2, y2 = region
        offset = np.array([x1, y1], np.float32)
        scale = self._reader.frame_scale(image.shape)
        quads = self._reader.detect(image[y1:y2, x1:x2], scale=scale)
        return plausible_lines([q + offset for q in quads], image.shape)
