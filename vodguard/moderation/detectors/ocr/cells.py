"""Where a busy picture holds text: a small network on det's own hidden layer, run at the text screen's scale.

The text screen (``reader.py``) marks every pixel where its half-size det sees a hint of text. On a picture full
of petals, cells or a smooth gradient it marks most of the picture, and det then reads all of it at full size
for nothing (70 to 95 ms of CPU on the benchmark's flower and gradient); on a page of 9 px print it marks most of
the picture too, and there every word counts. The screen's probability map does not tell the two apart
(docs/benchmarks.md, "Where a picture's CPU goes"). Det's hidden layer before its output (24 channels, one cell
per 4 x 4 pixels of the screen's input) holds more: a two-layer network on each cell's channels and their 5 x 5
neighbourhood says whether a full-size det would read a line there. ``scripts/train_text_cells.py`` trains it on
pictures drawn full of text, captioned photos and photos, split by source; ``text_cells.npz`` holds its weights.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from vodguard.moderation.detectors.ocr.boxes import grow, merge_boxes
from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.types import Box

# det's (PP-OCRv6 det small, as rapidocr ships it) last hidden layer before its two upsampling convolutions
HIDDEN = "p2o.pd_op.relu.18.0"
WEIGHTS = Path(__file__).with_name("text_cells.npz")
_CONTEXT = 5  # cells: a line's neighbours say more than one cell does (a stroke vs. a petal edge)


def cell_features(hidden: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """One row per cell of det's ``hidden`` layer (channels, rows, cols), row-major: its channels, their mean
    over the cell's neighbourhood, and the mean and max of det's text probability ``prob`` over the cell."""
    channels, rows, cols = hidden.shape
    hidden = hidden.astype(np.float32, copy=False)
    around = cv2.blur(np.ascontiguousarray(hidden.transpose(1, 2, 0)), (_CONTEXT, _CONTEXT)).reshape(
        rows, cols, -1
    )
    prob = prob.astype(np.float32, copy=False)
    mean = cv2.resize(prob, (cols, rows), interpolation=cv2.INTER_AREA)
    peak = cv2.dilate(prob, np.ones((4, 4), np.uint8))[::4, ::4][:rows, :cols]
    return np.concatenate(
        [
            hidden.transpose(1, 2, 0).reshape(-1, channels),
            around.reshape(-1, channels),
            mean.reshape(-1, 1),
            peak.reshape(-1, 1),
        ],
        axis=1,
    )


class TextCells:
    """The trained network: ``probabilities`` per cell, ``regions`` of a picture where det should read."""

    def __init__(self, path: Path = WEIGHTS) -> None:
        try:
            with np.load(path) as saved:
                self._mean, self._scale = saved["mean"], saved["scale"]
                self._w1, self._b1, self._w2, self._b2 = saved["w1"], saved["b1"], saved["w2"], saved["b2"]
                self.threshold = float(saved["threshold"])
        except (OSError, ValueError, KeyError) as exc:
            raise ModelUnavailable(f"the text-cell model {path} is missing or unreadable: {exc}") from exc
        if self._w1.shape[0] != self._mean.shape[0] or self._w1.shape[1] != self._w2.shape[0]:
            raise ModelUnavailable(f"the text-cell model {path} has inconsistent shapes")
        from threadpoolctl import ThreadpoolController

        # one BLAS thread: OpenBLAS's own pool kept spinning after each product, and the picture models running
        # beside OCR lost 12 to 30 ms a picture to it (docs/benchmarks.md, "Text cells")
        self._limit = ThreadpoolController().limit

    def probabilities(self, hidden: np.ndarray, prob: np.ndarray) -> np.ndarray:
        """P(a full-size det reads a line here) for each cell of ``hidden``, shaped as its rows and cols."""
        x = (cell_features(hidden, prob) - self._mean) / self._scale
        with self._limit(limits=1, user_api="blas"):
            logits = np.maximum(x @ self._w1 + self._b1, 0.0) @ self._w2 + self._b2
        probability: np.ndarray = (1.0 / (1.0 + np.exp(-logits))).reshape(hidden.shape[1:])
        return probability

    def regions(
        self, hidden: np.ndarray, prob: np.ndarray, shape: tuple[int, ...]
    ) -> tuple[list[Box], np.ndarray]:
        """Boxes (picture pixels, for a picture of ``shape``) around the cells that hold text, each grown by a
        line height so that det sees its lines whole, and the flagged cells' mask at ``prob``'s scale."""
        above = (self.probabilities(hidden, prob) > self.threshold).astype(np.uint8)
        # a line's cells can dip under the threshold between words: join them with their neighbours
        flagged = cv2.dilate(above, np.ones((3, 3), np.uint8))
        rows, cols = flagged.shape
        sx, sy = shape[1] / cols, shape[0] / rows
        count, _, stats, _ = cv2.connectedComponentsWithStats(flagged)
        boxes: list[Box] = []
        for x, y, w, h, _area in stats[1:count]:
            box = (int(x * sx), int(y * sy), int(np.ceil((x + w) * sx)), int(np.ceil((y + h) * sy)))
            boxes.append(grow(box, max(16, box[3] - box[1]), shape))
        mask = cv2.resize(flagged, (prob.shape[1], prob.shape[0]), interpolation=cv2.INTER_NEAREST)
        return merge_boxes(boxes), mask
