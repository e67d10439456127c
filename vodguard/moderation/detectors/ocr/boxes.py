"""Box geometry for OCR: a quad's box, unions, overlaps, and growing a box so det sees whole lines."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vodguard.moderation.types import Box


def quad_box(quad: np.ndarray, shape: tuple[int, ...]) -> Box:
    """The axis-aligned box around a quad, clipped to an image of ``shape``."""
    h, w = shape[:2]
    x1, y1 = np.floor(quad.min(axis=0)).astype(int)
    x2, y2 = np.ceil(quad.max(axis=0)).astype(int)
    return (max(0, int(x1)), max(0, int(y1)), min(w, int(x2)), min(h, int(y2)))


def union_box(boxes: Sequence[Box]) -> Box:
    """The smallest box holding all of ``boxes``."""
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def merge_boxes(boxes: Sequence[Box]) -> list[Box]:
    """The boxes with every overlapping pair replaced by its union, until none overlap."""
    out = list(boxes)
    merged = True
    while merged:
        merged = False
        for i in range(len(out)):
            for j in range(i + 1, len(out)):
                if overlaps(out[i], out[j]):
                    out[i] = union_box([out[i], out.pop(j)])
                    merged = True
                    break
            if merged:
                break
    return sorted(out, key=lambda b: (b[1], b[0]))


def overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(inner: Box, outer: Box) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def grow(box: Box, margin: int, shape: tuple[int, ...], *, minimum: int = 64) -> Box:
    h, w = shape[:2]
    x1, y1, x2, y2 = box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin
    # det rounds its input to multiples of 32 px; a sliver would round to nothing
    if x2 - x1 < minimum:
        x1, x2 = x1 - (minimum - (x2 - x1)) // 2, x1 + minimum
    if y2 - y1 < minimum:
        y1, y2 = y1 - (minimum - (y2 - y1)) // 2, y1 + minimum
    return (max(0, x1), max(0, y1), min(w, x2), min(h, y2))
