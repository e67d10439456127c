"""The moderation engine: decode media, run detectors, apply a template's policy.

This package is a library. It has no HTTP, SQL or queue in it and imports nothing from the rest of vodguard, so
the CLI, the workers and other programs can all use it.

The vocabulary (templates, results, errors, presets) imports light; ``Engine``, ``moderate_media`` and
``moderate_image`` load on first access, because they pull in PyAV, onnxruntime and friends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vodguard.moderation.config import CustomModel, EngineConfig, Limits
from vodguard.moderation.errors import (
    DeadlineExceeded,
    MediaLimitExceeded,
    ModelUnavailable,
    ModerationError,
    SourceFileError,
)
from vodguard.moderation.presets import (
    ALL_LABELS,
    DEFAULT_THRESHOLDS,
    PRESET_DEFINITION,
    labels_template,
    parse_labels,
    preset_template,
)
from vodguard.moderation.types import (
    LABELS,
    CustomLabel,
    EvidenceFile,
    ModerationResult,
    Segment,
    StageTiming,
    Template,
    Thresholds,
)

if TYPE_CHECKING:
    from vodguard.moderation.engine import Engine, moderate_image, moderate_media

_LAZY = frozenset({"Engine", "moderate_media", "moderate_image"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from vodguard.moderation import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ALL_LABELS",
    "CustomLabel",
    "CustomModel",
    "DEFAULT_THRESHOLDS",
    "DeadlineExceeded",
    "Engine",
    "EngineConfig",
    "EvidenceFile",
    "LABELS",
    "Limits",
    "MediaLimitExceeded",
    "ModelUnavailable",
    "ModerationError",
    "ModerationResult",
    "PRESET_DEFINITION",
    "Segment",
    "SourceFileError",
    "StageTiming",
    "Template",
    "Thresholds",
    "labels_template",
    "moderate_image",
    "moderate_media",
    "parse_labels",
    "preset_template",
]
