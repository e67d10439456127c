"""The detectors, and the table the engine builds them from.

``DETECTORS`` lists every built-in detector: where its class lives, what the engine feeds it, and how to build it
from an ``EngineConfig``. The planner (``plan.py``) runs a detector for the labels its class declares
(``labels``), so the plan and the detectors cannot disagree. Classes are imported on first use, not with this
package, because their modules pull in OpenCV and onnxruntime.

``build`` makes any of them by name, plus the parts some are built on (the text moderator, the Whisper
transcriber) and the operator's custom models.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from vodguard.moderation.config import EngineConfig
from vodguard.moderation.detectors.int8 import int8_weights

if TYPE_CHECKING:
    from vodguard.moderation.detectors.ocr import OcrDetector

__all__ = ["DETECTORS", "DetectorSpec", "Load", "build"]

# The engine's loader: the detector or part of that name, built once and shared (OCR and ASR share "text").
Load = Callable[[str], Any]


@dataclass(frozen=True)
class DetectorSpec:
    """One built-in detector: its class (``"module:Class"``), what it is fed, and how it is built.

    ``feeds``: ``frames`` (batches of sampled frames, on a lane of its own), ``ocr`` (the OCR pass: a sparser
    subset of the frames, one session per file) or ``audio`` (the audio track, chunk by chunk). ``tiles``: it has
    a tiled variant, ``<name>:tiled``, for pictures. ``reads_text``: its hits come from the text moderator, so
    the labels that text models bring (an operator's text model, an app's custom labels) make it run too.
    ``build(cls, config, tiled, load)`` makes one.
    """

    where: str
    feeds: Literal["frames", "ocr", "audio"]
    build: Callable[[Any, EngineConfig, bool, Load], object]
    tiles: bool = False
    reads_text: bool = False

    def cls(self) -> Any:
        """The detector's class, imported now."""
        module, _, name = self.where.partition(":")
        return getattr(importlib.import_module(module), name)

    @property
    def labels(self) -> frozenset[str]:
        """The labels the detector's class declares it can report."""
        return frozenset(self.cls().labels)


def _ocr(cls: type[OcrDetector], config: EngineConfig, tiled: bool, load: Load) -> OcrDetector:
    from vodguard.moderation.detectors.ocr import OcrReader

    reader = OcrReader(
        threads=config.threads,
        det_model=config.ocr_det_model_path or int8_weights("ocr_det", config),
        rec_model=config.ocr_rec_model_path or int8_weights("ocr_rec", config),
        rec_keys=config.ocr_rec_keys_path,
        # the cells learnt the bundled det's features: an operator's det model reads busy pictures whole
        text_cells=config.ocr_text_cells and config.ocr_det_model_path is None,
    )
    return cls(load("text"), reader, steady=config.skip_unchanged, ticking=config.ocr_ticking)


# In this order the planner lists them, and the engine starts their lanes.
DETECTORS: dict[str, DetectorSpec] = {
    "nsfw": DetectorSpec(
        "vodguard.moderation.detectors.nsfw:NsfwDetector",
        "frames",
        lambda cls, config, tiled, load: cls(
            config.nudenet_path or int8_weights("nudenet", config),
            tiles=tiled,
            threads=config.picture_model_threads,
        ),
        tiles=True,
    ),
    "terror": DetectorSpec(
        "vodguard.moderation.detectors.terror:TerrorDetector",
        "frames",
        lambda cls, config, tiled, load: cls(
            config, tiles=tiled, weights=int8_weights("efficientnet", config)
        ),
        tiles=True,
    ),
    # a second picture model for the same labels: NSFL as Terror/Gore, NSFW as a review-only Porn opinion
    "safety": DetectorSpec(
        "vodguard.moderation.detectors.safety:SafetyDetector",
        "frames",
        lambda cls, config, tiled, load: cls(
            config.safety_model_path or int8_weights("safety", config), threads=config.picture_model_threads
        ),
    ),
    # nsfwjs's MobileNetV2 (converted, shipped next to its module): drawn porn, and a third Porn opinion
    "drawn": DetectorSpec(
        "vodguard.moderation.detectors.drawn:DrawnDetector",
        "frames",
        lambda cls, config, tiled, load: cls(
            config.drawn_model_path or int8_weights("nsfwjs", config), threads=config.picture_model_threads
        ),
    ),
    "ocr": DetectorSpec("vodguard.moderation.detectors.ocr:OcrDetector", "ocr", _ocr, reads_text=True),
    "asr": DetectorSpec(
        "vodguard.moderation.detectors.asr:AsrDetector",
        "audio",
        lambda cls, config, tiled, load: cls(load("text"), load("transcriber")),
        reads_text=True,
    ),
    "voice": DetectorSpec(
        "vodguard.moderation.detectors.sound_events:SoundEventDetector",
        "audio",
        lambda cls, config, tiled, load: cls(config.sound_model_path, threads=config.threads),
    ),
}


def build(name: str, config: EngineConfig, load: Load) -> object:
    """The detector or part called ``name``, built now; ``KeyError`` for a name that is none.

    ``name`` is a key of ``DETECTORS`` (``<name>:tiled`` for its tiled variant), ``text`` (the text moderator,
    with the config's text models), ``transcriber`` (Whisper) or ``custom:<i>`` (the config's i-th custom model).
    """
    if name == "text":
        from vodguard.moderation.text import TextModerator, get_text_moderator

        texts = [m for m in config.custom_models if m.kind == "text"]
        if not texts:
            return get_text_moderator(config.models_dir)
        from vodguard.moderation.detectors.custom import CustomTextModel

        return TextModerator(
            extra=[CustomTextModel(m, threads=config.threads) for m in texts], models_dir=config.models_dir
        )
    if name == "transcriber":
        from vodguard.moderation.detectors.whisper import Transcriber

        return Transcriber(config)
    if name.startswith("custom:"):
        from vodguard.moderation.detectors.custom import CustomAudioModel, CustomImageModel

        model = config.custom_models[int(name.split(":", 1)[1])]
        if model.kind == "image":
            return CustomImageModel(model, threads=config.threads)
        return CustomAudioModel(model, threads=config.threads)
    base, _, variant = name.partition(":")
    spec = DETECTORS.get(base)
    if spec is None or variant not in ("", "tiled") or (variant and not spec.tiles):
        raise KeyError(f"no detector called {name!r}")
    return spec.build(spec.cls(), config, variant == "tiled", load)
