"""Text layout: OCR lines grouped into blocks that read together, joined into one text, traced back to lines."""

from __future__ import annotations

from collections.abc import Sequence

from vodguard.moderation.detectors.ocr.reader import OcrLine
from vodguard.moderation.types import Box


def text_blocks(lines: Sequence[OcrLine]) -> list[list[OcrLine]]:
    """Lines grouped into blocks of text that read together, each block in reading order.

    Two lines belong together when they sit on the same row a short gap apart (det may split a line at a wide
    space) or one sits under the other, overlapping horizontally, less than a line height below.
    """
    parent = list(range(len(lines)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(lines):
        for j in range(i + 1, len(lines)):
            if _together(a.box, lines[j].box):
                parent[root(j)] = root(i)
    groups: dict[int, list[OcrLine]] = {}
    for i, line in enumerate(lines):
        groups.setdefault(root(i), []).append(line)
    blocks = [_reading_order(group) for group in groups.values()]
    return sorted(blocks, key=lambda b: (b[0].box[1], b[0].box[0]))


def _together(a: Box, b: Box) -> bool:
    height = min(a[3] - a[1], b[3] - b[1])
    y_overlap = min(a[3], b[3]) - max(a[1], b[1])
    x_gap = max(a[0], b[0]) - min(a[2], b[2])
    if y_overlap > 0.5 * height:  # same row
        return x_gap < 1.5 * height
    y_gap = max(a[1], b[1]) - min(a[3], b[3])
    return x_gap < 0 and y_gap < height


def _reading_order(lines: list[OcrLine]) -> list[OcrLine]:
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda item: item.box[1]):
        row = rows[-1] if rows else None
        if row and line.box[1] < (row[0].box[1] + row[0].box[3]) / 2:
            row.append(line)
        else:
            rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda item: item.box[0])]


def join_lines(lines: Sequence[OcrLine]) -> tuple[str, list[tuple[int, int]]]:
    """The block's text and each line's character span in it.

    Lines are joined with a space only between two Latin letters or digits:
    "加微" + "信" reads "加微信", while "free" + "money" stays two words.
    """
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in lines:
        if parts and _wordish(parts[-1][-1]) and _wordish(line.text[0]):
            parts.append(" ")
            pos += 1
        spans.append((pos, pos + len(line.text)))
        parts.append(line.text)
        pos += len(line.text)
    return "".join(parts), spans


def _wordish(char: str) -> bool:
    return char.isascii() and char.isalnum()


def lines_with_keywords(
    lines: Sequence[OcrLine], spans: Sequence[tuple[int, int]], text: str, keywords: Sequence[str]
) -> list[OcrLine]:
    """The lines that hold an occurrence of the keywords; all lines when a keyword is not found verbatim."""
    folded = text.lower()
    hit: set[int] = set()
    for keyword in keywords:
        key = keyword.lower()
        start = folded.find(key) if key else -1
        if start < 0:
            # the moderator normalised the text (width, variants, leet): keep the whole block
            return list(lines)
        while start >= 0:
            end = start + len(key)
            hit.update(i for i, (a, b) in enumerate(spans) if a < end and start < b)
            start = folded.find(key, end)
    return [lines[i] for i in sorted(hit)] or list(lines)
