"""``OcrReader``: RapidOCR's bundled PP-OCRv6 det and rec, driven stage by stage on RGB frames.

``OcrReader`` runs the RapidOCR stages itself (det, rec) rather than ``RapidOCR.__call__``, which
changes the engine's state on every call. Every model path is given explicitly, so rapidocr never reaches
its download code. Det sees the frame scaled to a long side of at most ``det_side`` (960 px still finds
18 px text on 720p and 1080p frames); rec reads crops of the full-size frame, and is skipped when det finds
nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vodguard.moderation.detectors.base import package_dir, session_options
from vodguard.moderation.detectors.ocr.boxes import grow, merge_boxes, quad_box
from vodguard.moderation.detectors.ocr.cells import HIDDEN, TextCells
from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.types import Box

_MODEL_FILES = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
}
# The text screen: det at this long side (a quarter of the pixels of a 960-px det) with this probability floor
# (det's own line threshold is 0.3) marks where text may be. On the benchmark video and the evaluation corpus
# it covered every line a full-size det found, down to a 12 px clock on a 720p frame, in 11 % of the area.
_SCREEN_SIDE = 480
_SCREEN_FLOOR = 0.05
_SCREEN_AREA = 0.6  # past this share of the frame, det on the whole frame costs less than on the pieces
# A picture's screen sees it at half its size, whatever its size (480 px would be three quarters of a 640-px
# picture: most of a full det's cost). On 366 pictures (the clean set, the corpus's and the benchmark's) the
# half-size screen and det inside its boxes read every word a full det read; only single glyphs (chart ticks,
# bullets) came and went. Half size sees text from about 10 px high (tests/moderation/test_ocr.py). A larger
# picture was once screened at the video's 480 px, which lost 12 % of the words of 9-28 px captions at 1280x720
# and 34 % at 1080x1920 (scripts/check_video_screen.py --pictures); a picture whose half is det's own side or more
# is now read whole, since such a screen would cost what that read costs.
_PICTURE_SCREEN_SCALE = 0.5
# The text cells (cells.py) decide on busy pictures up to this long side, the largest they were trained and
# checked on: past it, a busy picture is read whole.
CELLS_MAX_SIDE = 960


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


@dataclass(frozen=True)
class TextScreen:
    """What the text screen saw in a frame: the ``regions`` det should read (frame pixels), and its ``mask`` of
    pixels that may be text (1) at the screen's scale, ``scale`` frame pixels (x, y) to a mask pixel."""

    regions: list[Box]
    mask: np.ndarray
    scale: tuple[float, float]


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
        text_cells: bool = True,
    ) -> None:
        """``det_model``/``rec_model``: an operator's PP-OCR ONNX files instead of the bundled ones; a rec model
        without its character list inside needs ``rec_keys`` (one character a line, PaddleOCR's format).
        ``text_cells``: on a busy picture, read only where the text cells see lines (``cells.py``); off, det
        reads such a picture whole. The cells learnt the bundled det's hidden layer (fp32 or int8): turn them off
        for another det model."""
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
            given = chosen[stage]
            if given is not None and not Path(given).is_file():
                raise ModelUnavailable(
                    f"{setting}={given} is not a file (a PP-OCR {stage.lower()} ONNX model)"
                )
        if rec_keys is not None and not Path(rec_keys).is_file():
            raise ModelUnavailable(f"ocr_rec_keys_path={rec_keys} is not a file (the rec model's characters)")
        cfg = ParseParams.load(DEFAULT_CFG_PATH)
        cfg.Det.limit_type = "max"  # the default ("min", 736) upscales a 720p frame to 1308 px: 5x slower det
        cfg.Det.limit_side_len = det_side
        engine = cfg.EngineConfig.onnxruntime
        # the upside-down classifier's session only when it is used: loading it cost start-up time for nothing
        for stage in ("Det", "Rec", *(("Cls",) if use_cls else ())):
            section = cfg[stage]
            section.engine_cfg = engine
            path = Path(chosen.get(stage) or models / _MODEL_FILES[stage])
            section.model_path = str(path)  # an explicit path skips the download branch
            section.model_root_dir = str(models)
            # rapidocr takes a ready session (its "session" key), which is how ours get their options
            with flag_override(section, "allow_objects", True):
                try:
                    # det also gives its hidden layer, for the text cells of busy pictures (cells.py); rapidocr
                    # takes the first output, the probability map, as before
                    model = _with_hidden_output(path) if stage == "Det" else str(path)
                    section.session = ort.InferenceSession(
                        model, session_options(threads), providers=["CPUExecutionProvider"]
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
        # rec reads each line alone. In a batch every line is padded to the widest one's width, and rec's cost
        # grows with the width: on the benchmark video, two 320-px clocks read beside a 1,000-px caption cost
        # three captions. Batching saves nothing on a CPU (two lines in one run cost two runs), and alone a line
        # is read the same whatever else is on its frame.
        cfg.Rec.rec_batch_num = 1
        self._det = TextDetector(cfg.Det)
        self._det_session = cfg.Det.session
        self._det_input = self._det_session.get_inputs()[0].name
        # a det model without that layer screens busy pictures as before: det reads them whole
        outputs = [output.name for output in self._det_session.get_outputs()]
        self._cells = TextCells() if text_cells and HIDDEN in outputs else None
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

    def text_screen(self, image: np.ndarray, *, picture: bool = False) -> TextScreen | None:
        """Boxes (frame pixels) around every place a small det sees a hint of text, with the screen's mask of text
        pixels, which says where in a region text may be; ``None``: look everywhere.

        A full-size det costs ~130 ms of CPU on a 720p frame, a 480-px one a quarter of that. Reading full size
        only inside these boxes finds the same lines for much less on a frame whose text covers little of it;
        each box is grown by a line height so that det sees its lines whole. A video frame is screened at a
        long side of 480 px; a ``picture`` at half its size, so that a small picture is screened too and a large
        one's small print is not lost (a picture of twice det's side or more is read whole).
        """
        maps = self.screen_maps(image, picture=picture)
        if maps is None:
            return None  # a small frame or a large picture: the screen would cost as much as det itself
        prob, hidden = maps
        h, w = image.shape[:2]
        sh, sw = prob.shape
        mask = cv2.dilate((prob > _SCREEN_FLOOR).astype(np.uint8), np.ones((3, 3), np.uint8))
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        sx, sy = w / sw, h / sh
        boxes: list[Box] = []
        for x, y, bw, bh, _area in stats[1:count]:
            box = (int(x * sx), int(y * sy), int(np.ceil((x + bw) * sx)), int(np.ceil((y + bh) * sy)))
            boxes.append(grow(box, max(16, box[3] - box[1]), image.shape))
        merged = merge_boxes(boxes)
        if _covered(merged) > _SCREEN_AREA * w * h:
            if not picture or self._cells is None or hidden is None or max(h, w) > CELLS_MAX_SIDE:
                return None
            # a busy picture: petals and gradients, or a page of small print; the text cells tell which parts
            # hold lines (cells.py). Video frames keep the whole read: the cells were trained on pictures.
            merged, mask = self._cells.regions(hidden, prob, image.shape)
            if _covered(merged) > _SCREEN_AREA * w * h:
                return None
        return TextScreen(merged, mask, (sx, sy))

    def screen_maps(
        self, image: np.ndarray, *, picture: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None] | None:
        """The screen's det run: its text probability map and its hidden layer (``None`` where the det model has
        none), at the screen's scale; ``None`` where a screen would cost as much as det on the whole frame (a video
        frame up to 480 px, a picture of twice det's side or more)."""
        h, w = image.shape[:2]
        scale = _PICTURE_SCREEN_SCALE if picture else _SCREEN_SIDE / max(h, w)
        if scale >= 1.0 or (picture and max(h, w) * scale >= self.det_side):
            return None
        sw, sh = max(32, round(w * scale / 32) * 32), max(32, round(h * scale / 32) * 32)
        small = cv2.resize(_bgr(image), (sw, sh), interpolation=cv2.INTER_AREA)
        batch = (small.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[None]
        outputs = self._det_session.run(None, {self._det_input: batch})
        return outputs[0][0, 0], (outputs[1][0] if len(outputs) > 1 else None)

    def recognise(self, image: np.ndarray, quads: Sequence[np.ndarray]) -> list[OcrLine | None]:
        """Read each quad of an RGB image; ``None`` where the text is empty or scores under ``min_score``."""
        from rapidocr.ch_ppocr_rec import TextRecInput
        from rapidocr.utils.process_img import get_rotate_crop_image

        if not quads:
            return []
        # crop first, then reorder the channels of the small crops only
        crops = [_bgr(get_rotate_crop_image(image, q.copy())) for q in quads]
        if self._cls is not None:
            crops = self._cls(crops).img_list or crops  # rapidocr leaves the list out only when given none
        rec = self._rec(TextRecInput(img=crops))
        lines: list[OcrLine | None] = []
        for quad, text, score in zip(quads, rec.txts or (), rec.scores, strict=True):
            text = text.strip()
            ok = bool(text) and score >= self.min_score
            lines.append(OcrLine(text, float(score), quad_box(quad, image.shape)) if ok else None)
        return lines

    def read(self, image: np.ndarray) -> OcrPage:
        """det, then rec only when det found something."""
        quads = plausible_lines(self.detect(image), image.shape)
        lines = self.recognise(image, quads)
        return OcrPage(tuple(line for line in lines if line is not None), recognised=len(quads))


def _covered(boxes: Sequence[Box]) -> int:
    return sum((b[2] - b[0]) * (b[3] - b[1]) for b in boxes)


def _with_hidden_output(path: Path) -> str | bytes:
    """The det model at ``path``, as bytes that also output det's hidden layer (``cells.HIDDEN``) where the model
    has it; otherwise its path, unchanged."""
    import onnx

    model = onnx.load(str(path))
    if not any(HIDDEN in node.output for node in model.graph.node):
        return str(path)
    model.graph.output.append(onnx.helper.make_tensor_value_info(HIDDEN, onnx.TensorProto.FLOAT, None))
    serialised: bytes = model.SerializeToString()
    return serialised


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
