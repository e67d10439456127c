"""Porn in pictures: NudeNet 3.4.2's bundled ``320n.onnx`` body-part detector on onnxruntime.

The model is a YOLOv8n-style detector with a 320x320 input and 18 classes (exposed and covered body parts,
faces). Preprocessing matches NudeNet's own geometry: pad the picture at the bottom and right to a black
square, resize to 320 (bilinear), scale to 0..1; then the black rows (or columns) past the picture are cut back
to the next multiple of 32, since the model takes any such side: a 16:9 view is read at 320x192, 60 % of the
square's convolution. The channels are RGB, as the model was trained; NudeNet
3.4.2's ``_read_image`` swaps them twice and feeds BGR (upstream issue notAI-tech/NudeNet#203), which on
the astronaut test photo lowers the face score from 0.81 to 0.72 and adds a wrong FACE_MALE. Each view goes
through a session run of its own, as in NudeNet: batches were no faster a view.

A 320-pixel view of a 1280x720 frame shrinks a person far from the camera to a few pixels, so frames whose
long side is over 640 are also looked at as 2x2 overlapping tiles; tile boxes are mapped back to the frame
and merged with the full-frame ones by per-class non-maximum suppression.

What it reports, from score 0.3, each as a ``Porn`` finding with confidence = score x 100 and the class as its
``Signal`` (``policy.RULES`` decides what the part means together with the other picture models):

* exposed female or male genitalia, female breast, buttocks, anus, with that part as sub-label;
* covered female breast or genitalia (lingerie, swimwear) as ``SexyBehavior``;
* faces, feet, belly, armpits, male breast and covered buttocks are not findings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

import cv2
import numpy as np

from vodguard.moderation.detectors.base import resolve_weights, session_options
from vodguard.moderation.types import Box, Finding, Frame, Signal

CLASSES = (
    "FEMALE_GENITALIA_COVERED",
    "FACE_FEMALE",
    "BUTTOCKS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_BREAST_EXPOSED",
    "ANUS_EXPOSED",
    "FEET_EXPOSED",
    "BELLY_COVERED",
    "FEET_COVERED",
    "ARMPITS_COVERED",
    "ARMPITS_EXPOSED",
    "FACE_MALE",
    "BELLY_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "ANUS_COVERED",
    "FEMALE_BREAST_COVERED",
    "BUTTOCKS_COVERED",
)
# class → SubLabel
PORN_CLASSES: Mapping[str, str] = MappingProxyType(
    {
        "FEMALE_GENITALIA_EXPOSED": "Genitalia",
        "MALE_GENITALIA_EXPOSED": "Genitalia",
        "FEMALE_BREAST_EXPOSED": "Breast",
        "BUTTOCKS_EXPOSED": "Buttocks",
        "ANUS_EXPOSED": "Anus",
        "FEMALE_BREAST_COVERED": "SexyBehavior",
        "FEMALE_GENITALIA_COVERED": "SexyBehavior",
    }
)
FLOOR = 0.3  # NudeNet's own detection threshold
INPUT_SIZE = 320
STRIDE = 32  # the model's coarsest grid: either side of its input may be any multiple of it
TILE_ABOVE = 640  # frames with a longer side than this are also scanned as 2x2 tiles
TILE_OVERLAP = 0.2  # of the frame's side: a figure on a tile border is whole in at least one tile
NMS_IOU = 0.45  # NudeNet's own value
CONTAINED = 0.7  # a box this much inside a stronger one of its class is the same part cut by a tile border
_RULES = {CLASSES.index(name): (name, sub_label) for name, sub_label in PORN_CLASSES.items()}


def tile_boxes(width: int, height: int, overlap: float = TILE_OVERLAP) -> list[Box]:
    """Four overlapping tiles (x1, y1, x2, y2) covering a frame, each a bit more than half of each side."""
    tile_w = min(width, round(width * (0.5 + overlap / 2)))
    tile_h = min(height, round(height * (0.5 + overlap / 2)))
    return [(x, y, x + tile_w, y + tile_h) for y in (0, height - tile_h) for x in (0, width - tile_w)]


def views_of(width: int, height: int, *, tiles: bool = True) -> list[Box]:
    """The regions of a frame the detector looks at: the whole frame, plus 2x2 tiles when it is large."""
    whole = (0, 0, width, height)
    if tiles and max(width, height) > TILE_ABOVE:
        return [whole, *tile_boxes(width, height)]
    return [whole]


def letterbox(image: np.ndarray, size: int = INPUT_SIZE) -> tuple[np.ndarray, float]:
    """(3, height, width) float32 input in 0..1 and the factor from input pixels back to image pixels.

    NudeNet's square, cut after the first multiple of ``STRIDE`` that holds the whole picture: what is cut is
    black padding. The model's deep layers see the whole input, so without that padding a score moves a little
    anywhere in the picture (a face: at most 0.06, median 0.03, tests/moderation/test_vision.py).
    """
    h, w = image.shape[:2]
    side = max(h, w)
    padded = cv2.copyMakeBorder(image, 0, side - h, 0, side - w, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    resized = cv2.resize(padded, (size, size), interpolation=cv2.INTER_LINEAR)
    rows, columns = (min(size, -(-math.ceil(n * size / side) // STRIDE) * STRIDE) for n in (h, w))
    return resized[:rows, :columns].transpose(2, 0, 1).astype(np.float32) / 255.0, side / size


def decode(output: np.ndarray, *, scale: float, offset: tuple[int, int], floor: float) -> np.ndarray:
    """Rows (x1, y1, x2, y2, score, class) in frame pixels from one (4 + classes, anchors) model output."""
    scores = output[4:]
    classes = scores.argmax(axis=0)
    best = scores[classes, np.arange(scores.shape[1])]
    keep = best >= floor
    cx, cy, w, h = (output[i, keep] for i in range(4))
    ox, oy = offset
    rows = np.stack(
        [
            (cx - w / 2) * scale + ox,
            (cy - h / 2) * scale + oy,
            (cx + w / 2) * scale + ox,
            (cy + h / 2) * scale + oy,
            best[keep],
            classes[keep].astype(np.float32),
        ],
        axis=1,
    )
    return rows.astype(np.float32).reshape(-1, 6)


def _overlaps(box: np.ndarray, others: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IoU of ``box`` with each of ``others``, and the share of each of ``others`` inside ``box``."""
    x1 = np.maximum(box[0], others[:, 0])
    y1 = np.maximum(box[1], others[:, 1])
    x2 = np.minimum(box[2], others[:, 2])
    y2 = np.minimum(box[3], others[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    iou = inter / np.maximum(area + areas - inter, 1e-9)
    return iou, inter / np.maximum(areas, 1e-9)


def merge_boxes(rows: np.ndarray, *, iou: float = NMS_IOU, contained: float = CONTAINED) -> np.ndarray:
    """Per-class non-maximum suppression of decode() rows; also drops boxes mostly inside a stronger one."""
    kept = []
    for cls in np.unique(rows[:, 5]):
        group = rows[rows[:, 5] == cls]
        group = group[np.argsort(-group[:, 4], kind="stable")]
        while len(group):
            top, group = group[0], group[1:]
            kept.append(top)
            if len(group):
                overlap, inside = _overlaps(top, group)
                group = group[(overlap < iou) & (inside < contained)]
    if not kept:
        return np.zeros((0, 6), np.float32)
    out = np.stack(kept)
    return out[np.argsort(-out[:, 4], kind="stable")]


def _clip_box(row: np.ndarray, width: int, height: int) -> Box:
    x1, y1, x2, y2 = (int(round(float(v))) for v in row[:4])
    return max(0, x1), max(0, y1), min(width, x2), min(height, y2)


class NsfwDetector:
    """Exposed body parts in frames, as ``Porn`` findings of form Image with the part's box."""

    name = "nsfw"
    labels = frozenset({"Porn"})

    def __init__(self, weights: Path | None = None, *, tiles: bool = True, threads: int = 1) -> None:
        import onnxruntime as ort

        path = resolve_weights(
            weights, package="nudenet", relative="320n.onnx", pip_name="nudenet", setting="nudenet_path"
        )
        self._session = ort.InferenceSession(
            str(path), session_options(threads), providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name
        self._tiles = tiles

    def detect(self, frames: Sequence[Frame]) -> list[np.ndarray]:
        """Per frame, the merged rows (x1, y1, x2, y2, score, class index) of every class at score >= 0.3."""
        jobs: list[tuple[int, Box]] = [
            (i, view) for i, f in enumerate(frames) for view in views_of(f.width, f.height, tiles=self._tiles)
        ]
        per_frame: list[list[np.ndarray]] = [[] for _ in frames]
        # one view a session run: batches of 4 or 8 were 4 to 6 % slower a view (docs/benchmarks.md), and views
        # of other shapes have inputs of other sizes
        for i, view in jobs:
            x1, y1, x2, y2 = view
            tensor, scale = letterbox(np.ascontiguousarray(frames[i].image[y1:y2, x1:x2]))
            output = self._session.run(None, {self._input: tensor[None]})[0][0]
            per_frame[i].append(decode(output, scale=scale, offset=view[:2], floor=FLOOR))
        return [merge_boxes(np.concatenate(rows)) for rows in per_frame]

    def __call__(self, frames: Sequence[Frame]) -> list[Finding]:
        """Porn findings (Genitalia, Breast, Buttocks, Anus, SexyBehavior) with boxes."""
        return [
            f
            for frame, rows in zip(frames, self.detect(frames), strict=True)
            for f in porn_findings(frame, rows)
        ]


def porn_findings(frame: Frame, rows: np.ndarray) -> list[Finding]:
    """The Porn findings of one frame's detections (rows of x1, y1, x2, y2, score, class index, frame pixels)."""
    findings = []
    for row in rows:
        box = _clip_box(row, frame.width, frame.height)
        if box[2] <= box[0] or box[3] <= box[1]:
            continue  # wholly in the letterbox padding
        rule = _RULES.get(int(row[5]))
        if rule is not None and row[4] >= FLOOR:
            score = float(row[4])
            findings.append(
                Finding(
                    form="Image",
                    label="Porn",
                    sub_label=rule[1],
                    confidence=round(score * 100.0, 2),
                    start=frame.time,
                    end=frame.time,
                    box=box,
                    frame_index=frame.index,
                    signals=(Signal("NudeNet", rule[0], round(score, 4)),),
                )
            )
    return findings
