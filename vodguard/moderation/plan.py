"""The planner: which detectors one call runs, from the labels wanted and the labels each detector declares, and
how densely a video is sampled under the template's budget (``fast``, ``balanced``, ``thorough``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from vodguard.moderation.config import EngineConfig
from vodguard.moderation.detectors import DETECTORS, DetectorSpec

__all__ = ["BUDGETS", "DEFAULT_BUDGET", "Budget", "Plan", "budgeted", "plan_for"]


@dataclass(frozen=True)
class Budget:
    """A speed/thoroughness level: factors on the configured sampling intervals, whether video frames are
    scanned in tiles (``None``: as configured), and whether the cascades may skip frames and OCR a ticking line's
    changes (``cascade``: as configured; False: never)."""

    interval_factor: float
    tiles: bool | None
    cascade: bool = True


# Factors, not absolute intervals, so that "balanced" is exactly the operator's settings (VODGUARD_FRAME_INTERVAL,
# VODGUARD_OCR_INTERVAL, VODGUARD_VIDEO_TILES) and the other two scale from them. OCR is most of a video's cost
# and a caption that changes is read again between ticks (lanes.OcrPass), so a sparser cadence mostly costs the
# precision of a segment's edges; a denser one, plus tiles, finds small or brief things a single view misses.
# docs/quality.md ("Budgets") has each level's measured recall and CPU time.
BUDGETS: dict[str, Budget] = {
    "fast": Budget(interval_factor=2.0, tiles=False),
    "balanced": Budget(interval_factor=1.0, tiles=None),
    # thorough reads every frame with every picture model: the density it is chosen for
    "thorough": Budget(interval_factor=0.5, tiles=True, cascade=False),
}
DEFAULT_BUDGET = "balanced"


def budgeted(config: EngineConfig, budget: str) -> EngineConfig:
    """``config`` as a call under ``budget`` uses it; ``ValueError`` names the known budgets for another."""
    if budget not in BUDGETS:
        raise ValueError(f"unknown budget {budget!r}; known budgets are {', '.join(BUDGETS)}")
    level = BUDGETS[budget]
    if level.interval_factor == 1.0 and level.tiles is None and level.cascade:
        return config
    return dataclasses.replace(
        config,
        frame_interval=config.frame_interval * level.interval_factor,
        ocr_interval=config.ocr_interval * level.interval_factor,
        video_tiles=config.video_tiles if level.tiles is None else level.tiles,
        safety_cascade=config.safety_cascade and level.cascade,
        ocr_ticking=config.ocr_ticking and level.cascade,
    )


@dataclass(frozen=True)
class Plan:
    """Which detectors one call runs, by the names ``Engine`` loads them under."""

    frame_detectors: tuple[str, ...] = ()
    ocr: bool = False
    audio_detectors: tuple[str, ...] = ()

    @property
    def pictures(self) -> bool:
        return bool(self.frame_detectors) or self.ocr

    @property
    def audio(self) -> bool:
        return bool(self.audio_detectors)


def plan_for(
    labels: Iterable[str], config: EngineConfig, *, image: bool = False, custom: Iterable[str] = ()
) -> Plan:
    """The detectors that can report any of ``labels``: nothing runs that no wanted label needs.

    A detector runs for the labels its class declares (``detectors.DETECTORS``), a custom model for those of its
    label map. ``custom`` are the labels of the template's custom text labels: text can carry them, so the
    detectors that read text (OCR, ASR) run for them too.
    """
    wanted = frozenset(labels)
    # an operator's text model can bring a label of its own to OCR lines and speech (Moan in subtitles, say)
    text_labels = {
        target.split(".", 1)[0]
        for m in config.custom_models
        if m.kind == "text"
        for target in m.labels.values()
    } | set(custom)

    def runs(spec: DetectorSpec) -> bool:
        return bool(wanted & (spec.labels | text_labels if spec.reads_text else spec.labels))

    # Tiles find small or off-centre things but cost several model runs a frame: worth it for a single
    # picture, while a video's many frames (and the same thing seen closer in other shots) make one view enough.
    tiled = image or config.video_tiles
    frame = [
        name + (":tiled" if tiled and spec.tiles else "")
        for name, spec in DETECTORS.items()
        if spec.feeds == "frames" and runs(spec)
    ]
    audio = (
        [] if image else [name for name, spec in DETECTORS.items() if spec.feeds == "audio" and runs(spec)]
    )
    for i, model in enumerate(config.custom_models):
        if not wanted & {target.split(".", 1)[0] for target in model.labels.values()}:
            continue
        if model.kind == "image":
            frame.append(f"custom:{i}")
        elif model.kind == "audio" and not image:
            audio.append(f"custom:{i}")
    return Plan(frame_detectors=tuple(frame), ocr=runs(DETECTORS["ocr"]), audio_detectors=tuple(audio))
