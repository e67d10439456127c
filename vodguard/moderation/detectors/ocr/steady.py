"""Steady text: where the text screen sees text only on lines read before, det need not look again.

On a moving picture the change gate screens every frame it reads (``gate.py``) and runs det in each region
the screen marks. Most of those regions hold the same lines as the last read frame: a caption, a logo, a
clock whose digits turn. When every pixel the screen marks as possible text inside a region lies on a line
read before, det would draw its lines around that same text; so the earlier lines stand for det's, and only
what rec must see goes on as before (``ChangeGate`` keeps a line whose pixels are unchanged and re-reads the
others at their known place). Anything the screen marks elsewhere in the region, even a speck, sends the
region to det.

The margin a line's box gets is small: on the benchmark video and the corpus's captioned videos the screen's
text pixels lay inside det's boxes (a component's extent past its line was at most 0.04 of the line height),
while a glyph added to a line reaches more than half a line height past its box.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from vodguard.moderation.detectors.ocr.boxes import overlaps
from vodguard.moderation.detectors.ocr.reader import TextScreen
from vodguard.moderation.types import Box

_MARGIN = 1 / 6  # of a line's height, at least _MIN_MARGIN frame pixels, added around each earlier line
_MIN_MARGIN = 3
_MIN_FILL = 0.5  # a blob must be at least this share of its line's height


def _cells(box: Box, scale: tuple[float, float], shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The screen-mask cells a frame-pixel box touches (outward rounding), clipped to a mask of ``shape``."""
    sx, sy = scale
    return (
        max(0, math.floor(box[0] / sx)),
        max(0, math.floor(box[1] / sy)),
        min(shape[1], math.ceil(box[2] / sx)),
        min(shape[0], math.ceil(box[3] / sy)),
    )


def steady_lines(screen: TextScreen, region: Box, lines: Sequence[Box]) -> list[int] | None:
    """Which of the earlier ``lines`` (frame-pixel boxes) stand for what det would find in ``region``: those in
    it; ``None`` when det must read the region.

    Each blob of text pixels the screen marks in the region must lie inside one earlier line's box (grown by a
    sixth of its height) and fill at least half its height: a blob outside every line is new text, one across
    two lines or much lower than its line is text laid out anew (two lines become one, a smaller font), which
    rec would misread at the old places. A region where the screen marks nothing goes to det too.
    """
    mask = screen.mask
    rx1, ry1, rx2, ry2 = _cells(region, screen.scale, mask.shape)
    count, _, stats, _ = cv2.connectedComponentsWithStats(np.ascontiguousarray(mask[ry1:ry2, rx1:rx2]))
    if count <= 1:
        return None
    places = []
    for box in lines:
        margin = max(_MIN_MARGIN, round((box[3] - box[1]) * _MARGIN))
        grown = (box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin)
        x1, y1, x2, y2 = _cells(grown, screen.scale, mask.shape)
        places.append((x1 - rx1, y1 - ry1, x2 - rx1, y2 - ry1, (box[3] - box[1]) / screen.scale[1]))
    # A line in the region that the screen does not see (text too small for its scale) is read at its place
    # as det would have read it there; rec drops it if it is gone.
    seen = {i for i, box in enumerate(lines) if overlaps(box, region)}
    for x, y, w, h, _area in stats[1:count]:
        home = [
            i
            for i, (x1, y1, x2, y2, height) in enumerate(places)
            if x1 <= x and y1 <= y and x + w <= x2 and y + h <= y2 and h >= _MIN_FILL * height
        ]
        if not home:
            return None
        seen.update(home)
    return sorted(seen)
