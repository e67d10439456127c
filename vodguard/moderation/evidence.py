"""Evidence thumbnails: a small JPEG of each Image/OCR segment's strongest frame, with its box drawn on it.

Frames are kept only if a finding on them passed the policy, and only as small JPEGs, so a long file full of
hits does not hold its decoded frames in memory until the end.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from vodguard.moderation.segments import MergedSegment
from vodguard.moderation.types import EvidenceFile, Frame

LONG_SIDE = 480
JPEG_QUALITY = 85
_BOX_COLOUR = (255, 32, 32)
_PICTURE_FORMS = frozenset({"Image", "OCR"})


def shrink(image: np.ndarray | Image.Image, long_side: int = LONG_SIDE) -> tuple[Image.Image, float]:
    """The picture scaled so its long side is at most ``long_side``, and the scale factor applied."""
    pic = image if isinstance(image, Image.Image) else Image.fromarray(np.ascontiguousarray(image))
    if pic.mode != "RGB":
        pic = pic.convert("RGB")
    scale = min(1.0, long_side / max(pic.width, pic.height, 1))
    if scale < 1.0:
        size = (max(1, round(pic.width * scale)), max(1, round(pic.height * scale)))
        pic = pic.resize(size, Image.Resampling.BILINEAR)
    return pic, scale


def _jpeg(pic: Image.Image) -> bytes:
    buf = io.BytesIO()
    pic.save(buf, format="JPEG", quality=JPEG_QUALITY)
    return buf.getvalue()


def draw_box(pic: Image.Image, box: tuple[int, int, int, int] | None, scale: float) -> Image.Image:
    """A copy of ``pic`` with ``box`` (in original pixels) drawn as a red frame."""
    out = pic.copy()
    if box is None:
        return out
    x1, y1, x2, y2 = (round(v * scale) for v in box)
    x1, x2 = sorted((max(0, min(x1, out.width - 1)), max(0, min(x2, out.width - 1))))
    y1, y2 = sorted((max(0, min(y1, out.height - 1)), max(0, min(y2, out.height - 1))))
    width = max(2, round(max(out.size) / 160))
    ImageDraw.Draw(out).rectangle((x1, y1, x2, y2), outline=_BOX_COLOUR, width=width)
    return out


def thumbnail(image: np.ndarray | Image.Image, box: tuple[int, int, int, int] | None = None) -> bytes:
    """A JPEG of ``image`` with its long side at most 480 px and ``box`` drawn on it."""
    pic, scale = shrink(image)
    return _jpeg(draw_box(pic, box, scale))


class FrameKeeper:
    """Small copies of the frames evidence may need, by frame index; safe to fill from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frames: dict[int, tuple[bytes, float]] = {}

    def keep(self, frame: Frame) -> None:
        """Remember ``frame`` (once) as a small JPEG."""
        with self._lock:
            if frame.index in self._frames:
                return
        pic, scale = shrink(frame.image)
        data = _jpeg(pic)
        with self._lock:
            self._frames.setdefault(frame.index, (data, scale))

    def __contains__(self, index: object) -> bool:
        with self._lock:
            return index in self._frames

    def __len__(self) -> int:
        with self._lock:
            return len(self._frames)

    def picture(self, index: int) -> tuple[Image.Image, float] | None:
        """The kept picture of frame ``index`` and its scale against the original, or ``None``."""
        with self._lock:
            entry = self._frames.get(index)
        if entry is None:
            return None
        data, scale = entry
        with Image.open(io.BytesIO(data)) as pic:
            return pic.convert("RGB"), scale


def evidence_name(number: int, merged: MergedSegment) -> str:
    """The evidence file name of the ``number``-th segment (1-based)."""
    seg = merged.segment
    return f"segment-{number:04d}-{seg.label.lower()}-{seg.form.lower()}.jpg"


def attach_thumbnails(merged: Sequence[MergedSegment], keeper: FrameKeeper) -> list[EvidenceFile]:
    """Thumbnails for the Image/OCR segments whose peak frame was kept; sets each segment's ``thumbnail``."""
    files: list[EvidenceFile] = []
    for number, item in enumerate(merged, start=1):
        if item.segment.form not in _PICTURE_FORMS or item.peak.frame_index is None:
            continue
        kept = keeper.picture(item.peak.frame_index)
        if kept is None:
            continue
        pic, scale = kept
        name = evidence_name(number, item)
        files.append(EvidenceFile(name=name, data=_jpeg(draw_box(pic, item.segment.box, scale))))
        item.segment.thumbnail = name
    return files
