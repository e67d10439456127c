"""Terror signal from ImageNet's weapon and military classes (EfficientNet-Lite0), plus a frame embedding.

There is no weapon, gore or flag model that runs offline here, so this detector sums the softmax of the
ImageNet classes that show weapons or military equipment into three sub-labels. It says "a gun-like object
is in the picture", not "this is terror": hunting, museums, air shows and war films score alike, and a space
rocket puts about half its mass on missile + projectile. So alone it only asks for review (``policy.RULES``),
and it confirms gore.

With ``tiles`` (pictures), each frame is looked at as one or more squares of the size the network was trained
on (three across a 16:9 frame), and a sub-label's score is its best square; the finding's box is that square.
Without (video frames, unless the config asks), only the central square is seen: a third of the cost, and the
side of a wide frame goes unseen. The squashed whole frame was tried instead: it scored a rocket 9 where its
central square scored 51.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

import numpy as np

from vodguard.moderation.config import EngineConfig
from vodguard.moderation.detectors.base import Screened
from vodguard.moderation.detectors.efficientnet import (
    EfficientNetLite0,
    center_view,
    softmax,
    square_views,
    to_input,
)
from vodguard.moderation.types import Finding, Frame, Signal

# ImageNet index → SubLabel. The indices are checked against the class names in the tests.
TERROR_CLASSES: Mapping[int, str] = MappingProxyType(
    {
        413: "Weapon",  # assault rifle
        763: "Weapon",  # revolver
        764: "Weapon",  # rifle
        597: "Weapon",  # holster: rarely seen without a handgun in it
        657: "Explosive",  # missile
        744: "Explosive",  # projectile
        471: "Military",  # cannon
        847: "Military",  # tank
        652: "Military",  # military uniform
        465: "Military",  # bulletproof vest
        895: "Military",  # warplane
        403: "Military",  # aircraft carrier
        833: "Military",  # submarine
    }
)
SUB_LABELS = ("Weapon", "Military", "Explosive")
MIN_CONFIDENCE = 30.0
_BATCH = 16


def sub_label_scores(probs: np.ndarray) -> np.ndarray:
    """(N, 3) summed probabilities of each of ``SUB_LABELS`` for (N, 1000) softmax outputs."""
    out = np.zeros((len(probs), len(SUB_LABELS)), np.float32)
    for index, sub_label in TERROR_CLASSES.items():
        out[:, SUB_LABELS.index(sub_label)] += probs[:, index]
    return out


class TerrorDetector:
    """Weapon / military / explosive objects in frames, as ``Terror`` findings of form Image."""

    name = "terror"
    labels = frozenset({"Terror"})

    def __init__(
        self,
        config: EngineConfig,
        *,
        tiles: bool = True,
        min_confidence: float = MIN_CONFIDENCE,
        weights: Path | None = None,
    ) -> None:
        """``weights``: an ONNX file of the network to run instead of the one converted for ``config``."""
        self._model = EfficientNetLite0(config, path=weights)
        self._tiles = tiles
        self._min_confidence = min_confidence

    def _views(self, frame: Frame) -> list[tuple[int, int, int, int]]:
        if self._tiles:
            return square_views(frame.width, frame.height)
        return [center_view(frame.width, frame.height)]

    def _infer(self, inputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        logits, embeddings = [], []
        for start in range(0, len(inputs), _BATCH):
            lg, em = self._model.run(np.stack(inputs[start : start + _BATCH]))
            logits.append(lg)
            embeddings.append(em)
        if not logits:
            return np.zeros((0, 1000), np.float32), np.zeros((0, 1280), np.float32)
        return np.concatenate(logits), np.concatenate(embeddings)

    def probabilities(self, frames: Sequence[Frame]) -> np.ndarray:
        """(N, 1000) ImageNet class probabilities of each frame's center crop."""
        logits, _ = self._infer([to_input(f.image, center_view(f.width, f.height)) for f in frames])
        return softmax(logits)

    def embed(self, frames: Sequence[Frame]) -> np.ndarray:
        """(N, 1280) pooled features of each frame's center crop (near-duplicate search, linear probes)."""
        _, embeddings = self._infer([to_input(f.image, center_view(f.width, f.height)) for f in frames])
        return embeddings

    def __call__(self, frames: Sequence[Frame]) -> list[Finding]:
        """Terror findings (Weapon, Military, Explosive) at or above the floor, one per frame and kind."""
        return [f for _, found in self.screened(frames) for f in found]

    def screened(self, frames: Sequence[Frame]) -> Screened:
        """Per frame, its highest probability of each kind over its views ("EfficientNet.Weapon", what the video
        cascade screens on, ``cascade.py``) and its findings at or above the floor, one per kind."""
        views = [(i, box) for i, frame in enumerate(frames) for box in self._views(frame)]
        logits, _ = self._infer([to_input(frames[i].image, box) for i, box in views])
        scores = sub_label_scores(softmax(logits)) * 100.0
        best: dict[tuple[int, str], tuple[float, tuple[int, int, int, int]]] = {}
        for (i, box), row in zip(views, scores, strict=True):
            for sub_label, confidence in zip(SUB_LABELS, row, strict=True):
                if confidence > best.get((i, sub_label), (-1.0,))[0]:
                    best[(i, sub_label)] = (float(confidence), box)
        out: Screened = []
        for i, frame in enumerate(frames):
            findings = []
            for sub_label in SUB_LABELS:
                confidence, box = best[(i, sub_label)]
                if confidence < self._min_confidence:
                    continue
                findings.append(
                    Finding(
                        form="Image",
                        label="Terror",
                        sub_label=sub_label,
                        confidence=round(confidence, 2),
                        start=frame.time,
                        end=frame.time,
                        box=box,
                        frame_index=frame.index,
                        signals=(Signal("EfficientNet", sub_label, round(confidence / 100.0, 4)),),
                    )
                )
            probabilities = {f"EfficientNet.{sub}": best[(i, sub)][0] / 100.0 for sub in SUB_LABELS}
            out.append((probabilities, findings))
        return out
