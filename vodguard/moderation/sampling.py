"""Which decoded frames to keep: keyframes, one per interval, scene changes; near-duplicates dropped.

Pure logic on small RGB thumbnails (no I/O), so it can be tested on arrays. ``media.sample_frames`` feeds it
every frame it decodes and keeps the ones ``FrameSelector.consider`` accepts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from PIL import Image

THUMB_SIDE = 32  # thumbnails are THUMB_SIDE x THUMB_SIDE RGB, values 0..255
_HASH_SIDE = 8  # the pHash keeps the 8x8 lowest DCT frequencies: 64 bits
# A near-duplicate must also have no thumbnail cell that changed this much (0..1): a caption appearing on a
# still background barely moves the low frequencies the pHash looks at, and dropping it would hide the text.
_LOCAL_CHANGE = 0.08
_TINY_CHANGE = 0.01  # mean change (0..1) under which two thumbnails are the same picture
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@lru_cache(maxsize=4)
def _dct_matrix(n: int) -> np.ndarray:
    """The orthonormal DCT-II matrix of size n (rows are frequencies)."""
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    m = np.cos(math.pi * (2 * i + 1) * k / (2 * n)) * math.sqrt(2.0 / n)
    m[0] /= math.sqrt(2.0)
    return m


def thumbnail(image: np.ndarray) -> np.ndarray:
    """A THUMB_SIDE-square float32 RGB thumbnail (block means) of a uint8 RGB (H, W, 3) image."""
    pic = Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8)).convert("RGB")
    return np.asarray(pic.resize((THUMB_SIDE, THUMB_SIDE), Image.Resampling.BOX), dtype=np.float32)


def phash(thumb: np.ndarray) -> int:
    """A 64-bit perceptual hash of a thumbnail: signs of the 8x8 low DCT frequencies against their median."""
    gray = thumb @ _LUMA if thumb.ndim == 3 else thumb
    d = _dct_matrix(gray.shape[0])
    freq = d @ gray.astype(np.float64) @ d.T
    low = freq[:_HASH_SIDE, :_HASH_SIDE].ravel()
    # The DC term is the mean brightness; leaving it out of the median keeps the bits about structure.
    bits = low > np.median(low[1:])
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two hashes."""
    return (a ^ b).bit_count()


def scene_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two RGB thumbnails, 0 (same) .. 1 (black vs white).

    Colour counts: a cut from a red scene to a green one of the same brightness is a cut.
    """
    return float(np.mean(np.abs(a - b)) / 255.0)


class FrameSelector:
    """Decides, frame by frame in time order, which frames to keep.

    A frame is wanted when it is a keyframe, when ``interval`` seconds have passed since the last kept frame,
    or when it differs from the previous decoded frame by more than ``scene_threshold``. A wanted frame is
    dropped as a near-duplicate of the last kept one when their pHashes are within ``dedupe_hamming`` bits and
    no region changed much; it still covers its time: a still picture gives one frame, not one per interval.
    """

    def __init__(self, *, interval: float, scene_threshold: float, dedupe_hamming: int) -> None:
        self.interval = interval
        self.scene_threshold = scene_threshold
        self.dedupe_hamming = dedupe_hamming
        self.last_time: float | None = None  # time of the last kept (or covered) frame
        self._last_kept: tuple[int, np.ndarray] | None = None
        self._prev_thumb: np.ndarray | None = None
        self.kept = 0
        self.seen = 0

    @property
    def kept_thumb(self) -> np.ndarray | None:
        """The thumbnail of the last kept frame (the clean one, when ``consider`` was given ``detail``)."""
        return None if self._last_kept is None else self._last_kept[1]

    @property
    def next_due(self) -> float:
        """The time by which another frame must be looked at."""
        return -math.inf if self.last_time is None else self.last_time + self.interval

    def consider(
        self,
        thumb: np.ndarray,
        time: float,
        *,
        keyframe: bool,
        detail: Callable[[], np.ndarray] | None = None,
        tolerance: float = 1e-3,
    ) -> bool:
        """True if the frame at ``time`` should be kept.

        ``thumb`` is compared with the previous frame's for the scene test and may be rough; ``detail`` gives
        a cleaner thumbnail for the duplicate test, asked for only when the frame is wanted (it costs more).
        """
        self.seen += 1
        prev, self._prev_thumb = self._prev_thumb, thumb
        if self.last_time is not None and time <= self.last_time:
            return False  # out of order or repeated timestamp: keep the output strictly increasing
        scene = prev is not None and scene_distance(thumb, prev) > self.scene_threshold
        due = time >= self.next_due - tolerance
        if not (keyframe or due or scene):
            return False
        fine = detail() if detail is not None else thumb
        digest = phash(fine)
        if self._last_kept is not None and self._is_duplicate(digest, fine, *self._last_kept):
            self.last_time = time
            return False
        self._last_kept = (digest, fine)
        self.last_time = time
        self.kept += 1
        return True

    def _is_duplicate(self, digest: int, thumb: np.ndarray, kept_digest: int, kept_thumb: np.ndarray) -> bool:
        change = np.abs(thumb - kept_thumb)
        if float(change.max()) / 255.0 >= _LOCAL_CHANGE:
            return False
        # pHash bits of smooth pictures sit near the median and flip on coding noise alone, so a picture that
        # barely changed anywhere is a duplicate even when a few bits differ.
        return (
            hamming(digest, kept_digest) <= self.dedupe_hamming or float(change.mean()) / 255.0 < _TINY_CHANGE
        )
