"""Drawn and animated porn: nsfwjs 4.4.0's MobileNetV2 (Drawing / Hentai / Neutral / Porn / Sexy), as ONNX.

The model is GantMan's nsfw_model as the npm package ``nsfwjs`` 4.4.0 (MIT, Infinite Red) bundles it.
``scripts/convert_nsfwjs.py`` turns the package's tfjs weights into ``nsfwjs_mobilenet_v2.onnx`` next to this
module (no TensorFlow, no node at run time), and ``tests/moderation/test_drawn.py`` checks it against nsfwjs's own
outputs. Preprocessing is nsfwjs's ``infer``: RGB / 255, bilinear resize with aligned corners to 224x224
(TensorFlow's ``resize_bilinear(align_corners=True)``, redone in numpy), NHWC.

What it measured on neutral photos (``../shared/research/models.md`` §2): Porn + Hentai at 0.5 or more on 5.8 %
of them (a retina photo, grey faces, a flower macro, a gradient), and top class Drawing on about a third (every
wallpaper or illustration is a drawing). On the 330 clean pictures (docs/quality.md) no Hentai or Sexy reached
0.5, Porn reached 0.5 on 14 and 0.88 at most (cell micrographs, a retina photo, noise), Drawing 0.5 on 101.
So it never blocks alone: ``policy.RULES`` says when it confirms NudeNet, and from what probability it asks for
review alone. Its recall on porn or hentai is not known here (docs/quality.md).

Findings, one per class per frame from probability 0.5, all ``Porn`` with the class as sub-label (``Drawing``,
``Hentai``, ``Porn``, ``Sexy``), confidence = probability x 100 and the class as their ``Signal``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vodguard.moderation.detectors.base import FrameClassifier, Screened
from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.types import Finding, Frame, Signal

CLASSES = ("Drawing", "Hentai", "Neutral", "Porn", "Sexy")
REPORTED = frozenset({"Drawing", "Hentai", "Porn", "Sexy"})  # Neutral is no finding
FLOOR = 0.5
INPUT_SIZE = 224
BUNDLED = Path(__file__).with_name("nsfwjs_mobilenet_v2.onnx")


def _axis(old: int, new: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices below and above each output pixel, and the weight of the upper one (aligned corners)."""
    ratio = (old - 1) / (new - 1) if new > 1 else 0.0
    # float32, as tfjs computes the source position; float64 moved a weight by 1e-8 at most
    source = np.arange(new, dtype=np.float32) * np.float32(ratio)
    low = np.floor(source).astype(np.int64)
    high = np.minimum(old - 1, np.ceil(source)).astype(np.int64)
    return low, high, (source - low).astype(np.float32)


def to_input(image: np.ndarray, size: int = INPUT_SIZE) -> np.ndarray:
    """(size, size, 3) float32 input in 0..1: nsfwjs's /255 and aligned-corner bilinear resize of an RGB picture."""
    height, width = image.shape[:2]
    if height == size and width == size:
        return image.astype(np.float32) / np.float32(255.0)
    y0, y1, wy = _axis(height, size)
    x0, x1, wx = _axis(width, size)
    # only the four neighbours of each output pixel become floats: a 720p frame costs a third of converting it
    # whole, with the same values (the division is per pixel either way). The rows are taken as flat rows of
    # bytes and the neighbours as byte columns (pixel * 3 + channel): the same values, in half the time of
    # indexing the pixel axis of a 3-d array
    rows = np.ascontiguousarray(image).reshape(height, width * 3)
    channel = np.arange(3)
    left, right = ((x[:, None] * 3 + channel).ravel() for x in (x0, x1))
    top, bottom = rows[y0], rows[y1]
    corners = [
        part[:, x].astype(np.float32) / np.float32(255.0) for part in (top, bottom) for x in (left, right)
    ]
    top_left, top_right, bottom_left, bottom_right = corners
    across = np.repeat(wx, 3)[None, :]
    upper = top_left + (top_right - top_left) * across
    lower = bottom_left + (bottom_right - bottom_left) * across
    out: np.ndarray = (upper + (lower - upper) * wy[:, None]).reshape(size, size, 3)
    return out


def findings_for(frame: Frame, probs: np.ndarray) -> list[Finding]:
    """The Porn findings of one frame's [Drawing, Hentai, Neutral, Porn, Sexy] probabilities."""
    return [
        Finding(
            form="Image",
            label="Porn",
            sub_label=name,
            confidence=round(float(p) * 100.0, 2),
            start=frame.time,
            end=frame.time,
            box=(0, 0, frame.width, frame.height),
            frame_index=frame.index,
            signals=(Signal("nsfwjs", name, round(float(p), 4)),),
        )
        for name, p in zip(CLASSES, probs, strict=True)
        if name in REPORTED and p >= FLOOR
    ]


class DrawnDetector(FrameClassifier):
    """nsfwjs's Drawing, Hentai, Porn and Sexy in frames, as ``Porn`` signals for ``policy.RULES``."""

    name = "drawn"
    labels = frozenset({"Porn"})

    def __init__(self, weights: Path | None = None, *, threads: int = 1) -> None:
        path = Path(weights) if weights is not None else BUNDLED
        setting = "drawn_model_path" if weights is not None else "the vodguard package (reinstall it)"
        if not path.is_file():
            raise ModelUnavailable(f"the drawn-picture model {path} does not exist; check {setting}")
        # (N, 5) probabilities of Drawing, Hentai, Neutral, Porn and Sexy
        super().__init__(
            path, what="the drawn-picture model", classes=len(CLASSES), prepare=to_input, threads=threads
        )

    def __call__(self, frames: Sequence[Frame]) -> list[Finding]:
        """The frames' Drawing, Hentai, Porn and Sexy findings at probability 0.5 or more."""
        return [f for _, found in self.screened(frames) for f in found]

    def screened(self, frames: Sequence[Frame]) -> Screened:
        """Per frame, its probability of each reported class by kind of signal ("nsfwjs.Sexy", what the video
        cascade screens on, ``cascade.py``) and its findings."""
        return [
            (
                {
                    f"nsfwjs.{name}": float(p)
                    for name, p in zip(CLASSES, probs, strict=True)
                    if name in REPORTED
                },
                findings_for(frame, probs),
            )
            for frame, probs in zip(frames, self.probabilities(frames), strict=True)
        ]
