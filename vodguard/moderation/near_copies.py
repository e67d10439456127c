"""Near-copies: sampled frames the picture models need not read, because they show what the last frame they
read showed, and the lane code that gives such a frame that frame's findings.

The sampler already drops a frame whose picture did not change at all (``sampling.py``); it keeps one where a
small region changed a lot, since that may be a caption for OCR. A talking head whose lips move, a slide with a
clock or a blinking cursor, a still shot under a changing subtitle: each sampled frame then differs from the
one before in a few thumbnail cells, and the picture models (NudeNet, EfficientNet, the safety classifier,
nsfwjs) would read it again to give the same opinions. ``NearCopies`` decides, in the calling thread and in
time order, which frames are near-copies of the last frame the models read; each picture lane then copies
that frame's findings to the near-copy (``frame_work``). OCR is not concerned: its change gate reads what
changed in a frame itself.

"Near-copy" is strict: at most ``_CHANGED_SHARE`` of the 32x32 thumbnail cells (10 of 1,024, an area of
about 95x95 px on a 1280x720 frame) differ from the read frame's by ``_CELL_CHANGE`` or more in any colour,
and the frame is at most ``max_span`` seconds after it, so the models look again at least that often and a
slow change is never carried along. The thumbnails are the sampler's (``Frame.thumb``), so the test costs a
subtraction of two small arrays.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from vodguard.moderation.types import Finding, Frame

_CELL_CHANGE = 10.0  # grey levels (0..255) in any colour: codec noise on a still picture stays under it
_CHANGED_SHARE = 0.01
MAX_SPAN = 3.0  # seconds: the picture models read a frame at least this often


class NearCopies:
    """Which sampled frames repeat the last frame the picture models read: ``plan`` each batch in time order
    in one thread, then ask ``source`` from any thread (the lanes) for a frame of a planned batch."""

    def __init__(self, *, max_span: float = MAX_SPAN) -> None:
        self.max_span = max_span
        self._read: Frame | None = None  # the last frame the models read
        self._source: dict[int, int] = {}  # near-copy's index -> index of the frame whose findings it takes
        self.copies = 0

    def plan(self, batch: Sequence[Frame]) -> int:
        """Decide the near-copies among ``batch`` (the next frames in time order); returns how many there are."""
        found = 0
        for frame in batch:
            read = self._read
            if read is not None and self._near(read, frame):
                self._source[frame.index] = read.index
                found += 1
            else:
                self._read = frame
        self.copies += found
        return found

    def source(self, frame: Frame) -> int | None:
        """The index of the read frame whose findings ``frame`` takes; ``None``: the models read ``frame``."""
        return self._source.get(frame.index)

    def _near(self, read: Frame, frame: Frame) -> bool:
        if frame.time - read.time > self.max_span or read.thumb is None or frame.thumb is None:
            return False
        if read.thumb.shape != frame.thumb.shape:
            return False
        change = np.abs(frame.thumb.astype(np.float32) - read.thumb.astype(np.float32))
        changed = change.max(axis=-1) >= _CELL_CHANGE if change.ndim == 3 else change >= _CELL_CHANGE
        return float(changed.mean()) <= _CHANGED_SHARE


def reusing(
    detect: Callable[[list[Frame]], list[Finding]], copies: NearCopies
) -> Callable[[list[Frame]], tuple[list[Finding], int]]:
    """``detect`` (one picture model on a batch) run only on the frames that are not near-copies; a near-copy
    gets the findings of its read frame, moved to its own time and index. The wrapped call returns the findings
    and how many frames the model read. One per lane: it remembers the lane's last read frame's findings."""
    last: dict[int, list[Finding]] = {}

    def run(batch: list[Frame]) -> tuple[list[Finding], int]:
        fresh = [frame for frame in batch if copies.source(frame) is None]
        found = detect(fresh) if fresh else []
        by_frame: dict[int, list[Finding]] = {frame.index: [] for frame in fresh}
        for finding in found:
            if finding.frame_index in by_frame:
                by_frame[finding.frame_index].append(finding)
        out = list(found)
        for frame in batch:
            source = copies.source(frame)
            if source is None:
                last.clear()
                last[frame.index] = by_frame[frame.index]
                continue
            out += copied_to(frame, last.get(source, ()))
        return out, len(fresh)

    return run


def copied_to(frame: Frame, findings: Iterable[Finding]) -> list[Finding]:
    """A read frame's ``findings`` given to its near-copy ``frame``, at the near-copy's own time and index."""
    return [
        dataclasses.replace(f, start=frame.time, end=frame.time, frame_index=frame.index) for f in findings
    ]
