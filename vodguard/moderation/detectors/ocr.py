"""Text in pictures (Form OCR): RapidOCR's bundled PP-OCRv6 det/rec, a change gate, then text moderation.

``OcrReader`` runs the RapidOCR stages itself (det, rec) rather than ``RapidOCR.__call__``, which
changes the engine's state on every call. Every model path is given explicitly, so rapidocr never reaches
its download code. Det sees the frame scaled to a long side of at most ``det_side`` (960 px still finds
18 px text on 720p and 1080p frames); rec reads crops of the full-size frame, and is skipped when det finds
nothing.

``OcrDetector`` moderates per text block, not per line or per frame: lines stacked close together are
joined, so a phrase broken over two caption lines still matches, while a caption and a corner clock stay
apart. A hit's box is the union of the lines that carry its keywords.

OCR is the dominant cost on video (docs/benchmarks.md), and most sampled frames show the text of the frame
before, so ``ChangeGate`` re-reads only what changed: an unchanged frame costs a thumbnail comparison, a
changed region gets det on that region alone, and only lines whose crop changed go to rec. A static
caption is recognised once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vodguard.moderation.detectors.base import package_dir, session_options
from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.types import Box, Finding, Frame, ModerateText, TextHit

_MODEL_FILES = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
}
_GATE_WIDTH = 320  # px of the grey thumbnail the frame gate compares
# grey levels; after area averaging, codec noise stays well under this, a changed glyph not
_GATE_PIXEL_DIFF = 12
_BLOCK_DIFF = 18.0  # mean grey difference in any glyph-sized block of a line that counts as changed text
# ...or this share of a block's pixels changed by this share of the line's contrast (its 98th less its 2nd
# percentile of grey): a small digit turning from 0 to 8 moves its block mean by under 14, while a moving
# picture seen through a caption's dark box changes it by under a third of the caption's contrast.
_STRONG_DIFF = 0.4
_STRONG_SHARE = 0.015
# The text screen: det at this long side (a quarter of the pixels of a 960-px det) with this probability floor
# (det's own line threshold is 0.3) marks where text may be. On the benchmark video and the evaluation corpus
# it covered every line a full-size det found, down to a 12 px clock on a 720p frame, in 11 % of the area.
_SCREEN_SIDE = 480
_SCREEN_FLOOR = 0.05
_SCREEN_AREA = 0.6  # past this share of the frame, det on the whole frame costs less than on the pieces
_FULL_EVERY = 8  # a gate reads every 8th whole-frame change at full size, in case the screen missed tiny text


@dataclass(frozen=True)
class OcrLine:
    """One recognised line: its text, rec score 0..1 and axis-aligned box in the frame's pixels."""

    text: str
    score: float
    box: Box


@dataclass(frozen=True)
class OcrPage:
    """What one read of a frame gave: the lines, how many crops went to rec, and whether det ran at all."""

    lines: tuple[OcrLine, ...]
    recognised: int = 0
    detected: bool = True


def _warnings_only(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


class OcrReader:
    """RapidOCR det → rec on RGB frames, with the models that ship inside the rapidocr wheel.

    The upside-down classifier (cls) is off by default: on the evaluation corpus and the benchmark video it
    turned three upright lines over and misread them ("we will shoot you all" became "le no oos ll all",
    small clocks read backwards) and set no line right; text upside down is rare in video.
    """

    def __init__(
        self,
        *,
        threads: int = 2,
        det_side: int = 960,
        use_cls: bool = False,
        min_score: float = 0.5,
        det_model: Path | None = None,
        rec_model: Path | None = None,
        rec_keys: Path | None = None,
    ) -> None:
        """``det_model``/``rec_model``: an operator's PP-OCR ONNX files instead of the bundled ones; a rec model
        without its character list inside needs ``rec_keys`` (one character a line, PaddleOCR's format)."""
        try:
            import onnxruntime as ort
            from omegaconf import flag_override
            from rapidocr.ch_ppocr_cls import TextClassifier
            from rapidocr.ch_ppocr_det import TextDetector
            from rapidocr.ch_ppocr_rec import TextRecognizer
            from rapidocr.main import DEFAULT_CFG_PATH
            from rapidocr.utils.parse_parameters import ParseParams
        except ImportError as exc:
            raise ModelUnavailable("OCR needs the 'rapidocr' package: pip install rapidocr==3.10.0") from exc
        # rapidocr logs an INFO line per model it loads, and resets its logger's level on import; a filter stays.
        logging.getLogger("RapidOCR").addFilter(_warnings_only)
        models = _bundled_models()
        chosen = {"Det": det_model, "Rec": rec_model}
        for stage, setting in (("Det", "ocr_det_model_path"), ("Rec", "ocr_rec_model_path")):
            if chosen[stage] is not None and not Path(chosen[stage]).is_file():
                raise ModelUnavailable(
                    f"{setting}={chosen[stage]} is not a file (a PP-OCR {stage.lower()} ONNX model)"
                )
        if rec_keys is not None and not Path(rec_keys).is_file():
            raise ModelUnavailable(f"ocr_rec_keys_path={rec_keys} is not a file (the rec model's characters)")
        cfg = ParseParams.load(DEFAULT_CFG_PATH)
        cfg.Det.limit_type = "max"  # the default ("min", 736) upscales a 720p frame to 1308 px: 5x slower det
        cfg.Det.limit_side_len = det_side
        engine = cfg.EngineConfig.onnxruntime
        for stage in ("Det", "Cls", "Rec"):
            section = cfg[stage]
            section.engine_cfg = engine
            path = Path(chosen.get(stage) or models / _MODEL_FILES[stage])
            section.model_path = str(path)  # an explicit path skips the download branch
            section.model_root_dir = str(models)
            # rapidocr takes a ready session (its "session" key), which is how ours get their options
            with flag_override(section, "allow_objects", True):
                try:
                    section.session = ort.InferenceSession(
                        str(path), session_options(threads), providers=["CPUExecutionProvider"]
                    )
                except Exception as exc:  # onnxruntime's own error types for files that are no model
                    raise ModelUnavailable(
                        f"the OCR {stage.lower()} model {path} cannot be loaded: {exc}"
                    ) from exc
        # The characters come from the rec model's metadata or from rec_keys, never a download: rapidocr would
        # fetch a dictionary for a model without one, so that case is refused before rapidocr sees it.
        if "character" not in cfg.Rec.session.get_modelmeta().custom_metadata_map:
            if rec_keys is None:
                raise ModelUnavailable(
                    f"the OCR rec model {cfg.Rec.model_path} holds no character list: set ocr_rec_keys_path"
                )
            cfg.Rec.rec_keys_path = str(rec_keys)
        cfg.Rec.font_path = None
        self._det = TextDetector(cfg.Det)
        self._det_session = cfg.Det.session
        self._det_input = self._det_session.get_inputs()[0].name
        self._cls = TextClassifier(cfg.Cls) if use_cls else None
        self._rec = TextRecognizer(cfg.Rec)
        self.min_score = min_score
        self.det_side = det_side

    def detect(self, image: np.ndarray, *, scale: float = 1.0) -> list[np.ndarray]:
        """Text-line quadrilaterals (4×2 float32, image pixels) of an RGB image, in reading order.

        ``scale`` shrinks the image first: a piece of a frame is read at the scale of its whole frame, since det
        draws different lines around small text at different scales.
        """
        if scale < 1.0:
            h, w = image.shape[:2]
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        out = self._det(_bgr(image))
        if out.boxes is None:
            return []
        return [np.asarray(q, dtype=np.float32) / min(scale, 1.0) for q in out.boxes]

    def frame_scale(self, shape: tuple[int, ...]) -> float:
        """The scale det reads a whole frame of ``shape`` at."""
        return min(1.0, self.det_side / max(shape[0], shape[1]))

    def text_regions(self, image: np.ndarray) -> list[Box] | None:
        """Boxes (frame pixels) around every place a small det sees a hint of text; ``None``: look everywhere.

        A full-size det costs ~130 ms of CPU on a 720p frame, a 480-px one a quarter of that. Reading full size
        only inside these boxes finds the same lines for much less on a frame whose text covers little of it;
        each box is grown by a line height so that det sees its lines whole.
        """
        h, w = image.shape[:2]
        scale = _SCREEN_SIDE / max(h, w)
        if scale >= 1.0:
            return None  # a small frame: the screen would cost as much as det itself
        sw, sh = max(32, round(w * scale / 32) * 32), max(32, round(h * scale / 32) * 32)
        small = cv2.resize(_bgr(image), (sw, sh), interpolation=cv2.INTER_AREA)
        batch = (small.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[None]
        prob = self._det_session.run(None, {self._det_input: batch})[0][0, 0]
        mask = cv2.dilate((prob > _SCREEN_FLOOR).astype(np.uint8), np.ones((3, 3), np.uint8))
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        sx, sy = w / sw, h / sh
        boxes: list[Box] = []
        for x, y, bw, bh, _area in stats[1:count]:
            box = (int(x * sx), int(y * sy), int(np.ceil((x + bw) * sx)), int(np.ceil((y + bh) * sy)))
            boxes.append(_grow(box, max(16, box[3] - box[1]), image.shape))
        merged = merge_boxes(boxes)
        if sum((b[2] - b[0]) * (b[3] - b[1]) for b in merged) > _SCREEN_AREA * w * h:
            return None
        return merged

    def recognise(self, image: np.ndarray, quads: Sequence[np.ndarray]) -> list[OcrLine | None]:
        """Read each quad of an RGB image; ``None`` where the text is empty or scores under ``min_score``."""
        from rapidocr.ch_ppocr_rec import TextRecInput
        from rapidocr.utils.process_img import get_rotate_crop_image

        if not quads:
            return []
        # crop first, then reorder the channels of the small crops only
        crops = [_bgr(get_rotate_crop_image(image, q.copy())) for q in quads]
        if self._cls is not None:
            crops = self._cls(crops).img_list
        rec = self._rec(TextRecInput(img=crops))
        lines: list[OcrLine | None] = []
        for quad, text, score in zip(quads, rec.txts, rec.scores, strict=True):
            text = text.strip()
            ok = bool(text) and score >= self.min_score
            lines.append(OcrLine(text, float(score), quad_box(quad, image.shape)) if ok else None)
        return lines

    def read(self, image: np.ndarray) -> OcrPage:
        """det, then rec only when det found something."""
        quads = plausible_lines(self.detect(image), image.shape)
        lines = self.recognise(image, quads)
        return OcrPage(tuple(line for line in lines if line is not None), recognised=len(quads))


def plausible_lines(quads: list[np.ndarray], shape: tuple[int, ...]) -> list[np.ndarray]:
    """The det boxes no taller than half the frame."""
    # on smooth gradients (sky, fades) det outlines the whole picture; reading that finds nothing
    limit = 0.5 * shape[0]
    return [q for q in quads if float(q[:, 1].max() - q[:, 1].min()) <= limit]


def _bundled_models() -> Path:
    root = package_dir("rapidocr")
    if root is None:
        raise ModelUnavailable("OCR needs the 'rapidocr' package: pip install rapidocr==3.10.0")
    models = root / "models"
    missing = [name for name in _MODEL_FILES.values() if not (models / name).is_file()]
    if missing:
        raise ModelUnavailable(f"{', '.join(missing)} missing from {models}; reinstall rapidocr==3.10.0")
    return models


def _bgr(image: np.ndarray) -> np.ndarray:
    # rapidocr's models were trained on OpenCV's BGR order; our frames are RGB
    return np.ascontiguousarray(image[:, :, ::-1])


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


# --- the change gate ---


def _grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)


def frame_thumbnail(image: np.ndarray) -> np.ndarray:
    """A small grey copy of the frame; area averaging removes codec noise but keeps a changed glyph."""
    h, w = image.shape[:2]
    size = (_GATE_WIDTH, max(1, round(h * _GATE_WIDTH / w)))
    return cv2.resize(_grey(image), size, interpolation=cv2.INTER_AREA).astype(np.int16)


def changed_region(before: np.ndarray, after: np.ndarray, shape: tuple[int, ...]) -> Box | None:
    """The frame-pixel box around every thumbnail cell that changed; ``None`` when none did."""
    h, w = shape[:2]
    if before.shape != after.shape:
        return (0, 0, w, h)
    rows, cols = np.nonzero(np.abs(before - after) >= _GATE_PIXEL_DIFF)
    if rows.size == 0:
        return None
    sy, sx = h / after.shape[0], w / after.shape[1]
    return (
        int(cols.min() * sx),
        int(rows.min() * sy),
        min(w, int(np.ceil((cols.max() + 1) * sx))),
        min(h, int(np.ceil((rows.max() + 1) * sy))),
    )


def same_text(old_box: Box, old_crop: np.ndarray, new_box: Box, grey: np.ndarray) -> bool:
    """Whether the line at ``new_box`` of a grey frame shows what ``old_crop`` (grey pixels of ``old_box``) did.

    The boxes must agree to a quarter of the line height on every edge, so text that grew or moved is read
    again. The pixels are compared in place, in glyph-sized blocks, so one changed character is not averaged
    away by a long line; the margin det adds around the glyphs (it shows the background) is left out.
    """
    height = new_box[3] - new_box[1]
    tolerance = max(4, height // 4)
    if any(abs(o - n) > tolerance for o, n in zip(old_box, new_box, strict=True)):
        return False
    pad = height // 5
    x1, y1 = max(old_box[0], new_box[0]) + pad, max(old_box[1], new_box[1]) + pad
    x2, y2 = min(old_box[2], new_box[2]) - pad, min(old_box[3], new_box[3]) - pad
    if x2 <= x1 or y2 <= y1:
        return False
    before = old_crop[y1 - old_box[1] : y2 - old_box[1], x1 - old_box[0] : x2 - old_box[0]]
    diff = np.abs(grey[y1:y2, x1:x2].astype(np.int16) - before)
    low, high = np.percentile(before, [2, 98])
    strong = max(40.0, _STRONG_DIFF * float(high - low))
    block = max(2, (y2 - y1) // 2)
    for i in range(0, x2 - x1, block):
        part = diff[:, i : i + block]
        if float(part.mean()) >= _BLOCK_DIFF or float((part > strong).mean()) >= _STRONG_SHARE:
            return False
    return True


def _crop(grey: np.ndarray, box: Box) -> np.ndarray:
    return grey[box[1] : box[3], box[0] : box[2]].astype(np.int16)


def _patch(old: np.ndarray | None, new: np.ndarray, region: Box, shape: tuple[int, ...]) -> np.ndarray:
    """The thumbnail of what has been read: ``old`` with the cells of the re-read ``region`` taken from ``new``."""
    if old is None or old.shape != new.shape:
        return new
    sy, sx = new.shape[0] / shape[0], new.shape[1] / shape[1]
    x1, y1 = int(region[0] * sx), int(region[1] * sy)
    x2, y2 = int(np.ceil(region[2] * sx)), int(np.ceil(region[3] * sy))
    out = old.copy()
    out[y1:y2, x1:x2] = new[y1:y2, x1:x2]
    return out


def merge_boxes(boxes: Sequence[Box]) -> list[Box]:
    """The boxes with every overlapping pair replaced by its union, until none overlap."""
    out = list(boxes)
    merged = True
    while merged:
        merged = False
        for i in range(len(out)):
            for j in range(i + 1, len(out)):
                if _overlaps(out[i], out[j]):
                    out[i] = union_box([out[i], out.pop(j)])
                    merged = True
                    break
            if merged:
                break
    return sorted(out, key=lambda b: (b[1], b[0]))


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(inner: Box, outer: Box) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _grow(box: Box, margin: int, shape: tuple[int, ...], *, minimum: int = 64) -> Box:
    h, w = shape[:2]
    x1, y1, x2, y2 = box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin
    # det rounds its input to multiples of 32 px; a sliver would round to nothing
    if x2 - x1 < minimum:
        x1, x2 = x1 - (minimum - (x2 - x1)) // 2, x1 + minimum
    if y2 - y1 < minimum:
        y1, y2 = y1 - (minimum - (y2 - y1)) // 2, y1 + minimum
    return (max(0, x1), max(0, y1), min(w, x2), min(h, y2))


@dataclass(frozen=True)
class FrameText:
    """The lines of one frame and what reading it cost.

    ``detected`` is the frame area whose text was looked for again (``None``: the frame equals the last read
    one, nothing ran); ``recognised`` is how many crops went to rec.
    """

    frame: Frame
    lines: tuple[OcrLine, ...]
    recognised: int
    detected: Box | None


@dataclass
class _Seen:
    """The last read frame of one call: its thumbnail and its lines, each with the grey pixels of its box."""

    thumb: np.ndarray
    lines: list[tuple[OcrLine, np.ndarray]]

    def lookup(self, box: Box, grey: np.ndarray) -> OcrLine | None:
        for line, crop in self.lines:
            if same_text(line.box, crop, box, grey):
                return OcrLine(line.text, line.score, box)
        return None


class ChangeGate:
    """Reads a sequence of frames, re-reading only the part of each frame that changed since the last read.

    1. Compare grey thumbnails: no cell changed → the previous lines stand, nothing runs.
    2. Det runs only on the box around the changed cells (grown to hold any line it touches); lines wholly
       outside it stand. Past half the frame (a moving picture), the text screen (``OcrReader.text_regions``)
       says where det should look; every ``_FULL_EVERY``-th such frame, and the first, det reads it all.
    3. A detected line whose box and pixels match a line read before keeps its text; the others go to
       rec in one batch.
    One gate per sequence: it holds the state of one call, never shared between threads.
    """

    def __init__(self, reader: OcrReader, *, screen: bool = True) -> None:
        self._reader = reader
        self._seen: _Seen | None = None
        self._screen = screen
        self._screened = 0  # whole-frame changes read through the screen since the last full-size read

    def read(self, frame: Frame) -> FrameText:
        """The lines of ``frame``, reusing what is unchanged since the previous call."""
        image = frame.image
        h, w = image.shape[:2]
        thumb = frame_thumbnail(image)
        seen = self._seen
        region: Box | None = (0, 0, w, h)
        if seen is not None and seen.thumb.shape == thumb.shape:
            region = changed_region(seen.thumb, thumb, image.shape)
            if region is None:
                # the stored thumbnail stays that of the last read, so a slow fade still adds up to a change
                return FrameText(frame, tuple(line for line, _ in seen.lines), 0, None)
            region = self._cover_lines(_grow(region, 16, image.shape), seen, image.shape)
            if (region[2] - region[0]) * (region[3] - region[1]) > 0.5 * w * h:
                region = (0, 0, w, h)
        grey = _grey(image)
        kept = [] if seen is None else [entry for entry in seen.lines if not _overlaps(entry[0].box, region)]
        quads = [
            q for box in self._det_boxes(image, region, first=seen is None) for q in self._detect(image, box)
        ]
        boxes = [quad_box(q, image.shape) for q in quads]
        found = [seen.lookup(box, grey) if seen else None for box in boxes]
        todo = [i for i, line in enumerate(found) if line is None]
        for i, line in zip(todo, self._reader.recognise(image, [quads[i] for i in todo]), strict=True):
            found[i] = line
        fresh = [(line, _crop(grey, line.box)) for line in found if line is not None]
        entries = sorted(kept + fresh, key=lambda e: (e[0].box[1], e[0].box[0]))
        self._seen = _Seen(_patch(seen.thumb if seen else None, thumb, region, image.shape), entries)
        return FrameText(frame, tuple(line for line, _ in entries), len(todo), region)

    @staticmethod
    def _cover_lines(region: Box, seen: _Seen, shape: tuple[int, ...]) -> Box:
        # a line cut by the region would be detected as a fragment: take every line it touches whole
        grown = region
        for line, _ in seen.lines:
            if _overlaps(line.box, grown) and not _inside(line.box, grown):
                grown = union_box([grown, _grow(line.box, 8, shape, minimum=0)])
        return grown

    def _det_boxes(self, image: np.ndarray, region: Box, *, first: bool) -> list[Box]:
        """Where det runs to re-read ``region``: itself, or where the screen sees text when it is the frame."""
        h, w = image.shape[:2]
        if region != (0, 0, w, h) or not self._screen:
            return [region]
        if first or self._screened >= _FULL_EVERY - 1:
            self._screened = 0
            return [region]
        regions = self._reader.text_regions(image)
        if regions is None:
            return [region]
        self._screened += 1
        return regions

    def _detect(self, image: np.ndarray, region: Box) -> list[np.ndarray]:
        x1, y1, x2, y2 = region
        offset = np.array([x1, y1], np.float32)
        scale = self._reader.frame_scale(image.shape)
        quads = self._reader.detect(image[y1:y2, x1:x2], scale=scale)
        return plausible_lines([q + offset for q in quads], image.shape)


# --- the detector ---


class OcrDetector:
    """Form OCR: reads the text in frames and turns each text-moderation hit into a ``Finding``.

    Text is moderated per block: lines stacked close together (a two-line caption) are joined, lines far apart
    (a caption and a corner clock) are not. Each block gives one finding per frame it is on.

    ``detector(frames)`` reads one sequence with a fresh change gate. A caller that feeds one file in several
    batches should take ``session = detector.session()`` per file and call ``session(batch)``, so the gate and
    the text verdicts carry over from batch to batch; a session belongs to one thread.
    """

    name = "ocr"
    labels = frozenset({"Porn", "Terror", "Polity", "Ad", "Illegal", "Abuse"})

    def __init__(
        self, text_moderator: ModerateText, reader: OcrReader | None = None, *, gate: bool = True
    ) -> None:
        self._moderate = text_moderator
        self._reader = reader if reader is not None else OcrReader()
        self._gate = gate

    def session(self, *, moderate: ModerateText | None = None) -> OcrSession:
        """A reader for the frames of one file, in batches, that remembers what it has read. ``moderate`` stands
        in for the detector's text moderator in this session (the engine passes one that also reads the
        template's custom labels)."""
        return OcrSession(self._reader, moderate or self._moderate, gate=self._gate)

    def read_frames(self, frames: Sequence[Frame]) -> list[FrameText]:
        """The lines of every frame, in order; with the gate on, only what changed is read again."""
        return self.session().read_frames(frames)

    def __call__(self, frames: Sequence[Frame], *, moderate: ModerateText | None = None) -> list[Finding]:
        """Findings for every text block the text moderator (or ``moderate``) flags, one per frame it is on."""
        return self.session(moderate=moderate)(frames)


class OcrSession:
    """The state of reading one file: its change gate and the verdicts on text already moderated."""

    def __init__(self, reader: OcrReader, text_moderator: ModerateText, *, gate: bool = True) -> None:
        self._reader = reader
        self._moderate = text_moderator
        self._gate = ChangeGate(reader) if gate else None
        self._verdicts: dict[str, list[TextHit]] = {}  # a caption stays on many frames: moderate it once

    def read_frames(self, frames: Sequence[Frame]) -> list[FrameText]:
        """The lines of every frame, in order, reusing what is unchanged since the last frame read."""
        if self._gate is not None:
            return [self._gate.read(frame) for frame in frames]
        out = []
        for frame in frames:
            page = self._reader.read(frame.image)
            out.append(FrameText(frame, page.lines, page.recognised, (0, 0, frame.width, frame.height)))
        return out

    def __call__(self, frames: Sequence[Frame]) -> list[Finding]:
        """Findings for every text block the text moderator flags, one per frame it is on."""
        findings: list[Finding] = []
        for page in self.read_frames(frames):
            for block in text_blocks(page.lines):
                text, spans = join_lines(block)
                if text not in self._verdicts:
                    self._verdicts[text] = self._moderate(text)
                for hit in self._verdicts[text]:
                    carriers = lines_with_keywords(block, spans, text, hit.keywords)
                    findings.append(
                        Finding(
                            form="OCR",
                            label=hit.label,
                            sub_label=hit.sub_label,
                            # a hit on misread text is worth less: scale by the weakest line it rests on
                            confidence=round(hit.confidence * min(line.score for line in carriers), 2),
                            start=page.frame.time,
                            end=page.frame.time,
                            box=union_box([line.box for line in carriers]),
                            text=text,
                            keywords=hit.keywords,
                            frame_index=page.frame.index,
                        )
                    )
        return findings


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
