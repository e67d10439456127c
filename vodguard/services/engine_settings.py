"""The engine's settings taken from the server's: ``engine_config``, and the operator's custom models file."""

from __future__ import annotations

import json
from pathlib import Path

from vodguard.config import Settings
from vodguard.moderation.config import CustomModel, EngineConfig, Limits


def engine_config(settings: Settings) -> EngineConfig:
    """The engine's settings from the server's."""
    custom = load_custom_models(settings.custom_models_file) if settings.custom_models_file else ()
    return EngineConfig(
        models_dir=settings.models_dir,
        frame_interval=settings.frame_interval,
        ocr_interval=settings.ocr_interval,
        video_tiles=settings.video_tiles,
        int8_models=settings.int8_models,
        skip_unchanged=settings.skip_unchanged,
        ocr_text_cells=settings.ocr_text_cells,
        safety_cascade=settings.safety_cascade,
        ocr_ticking=settings.ocr_ticking,
        asr_model=settings.asr_model,
        asr_model_path=settings.asr_model_path,
        asr_language=settings.asr_language,
        nudenet_path=settings.nudenet_path,
        sound_model_path=settings.sound_model_path,
        safety_model_path=settings.safety_model_path,
        drawn_model_path=settings.drawn_model_path,
        efficientnet_path=settings.efficientnet_path,
        ocr_det_model_path=settings.ocr_det_model_path,
        ocr_rec_model_path=settings.ocr_rec_model_path,
        ocr_rec_keys_path=settings.ocr_rec_keys_path,
        custom_models=custom,
        limits=Limits(
            max_file_bytes=settings.max_upload_bytes,
            max_image_bytes=settings.review_image_max_bytes,
            wall_seconds=settings.task_wall_seconds,
        ),
    )


def load_custom_models(path: Path) -> tuple[CustomModel, ...]:
    """Operator-supplied ONNX models from a JSON list: ``[{"path", "kind", "labels", ...}]`` (docs/models.md)."""
    try:
        entries = json.loads(Path(path).read_text())
        models = []
        for entry in entries:
            entry["path"] = Path(entry["path"]).expanduser()
            for key in ("mean", "std"):
                if key in entry:
                    entry[key] = tuple(entry[key])
            models.append(CustomModel(**entry))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise SystemExit(f"VODGUARD_CUSTOM_MODELS_FILE {path}: {exc}") from None
    for model in models:
        if not model.path.exists():
            raise SystemExit(f"VODGUARD_CUSTOM_MODELS_FILE {path}: model file {model.path} does not exist")
    return tuple(models)
