"""Measure the image safety classifier (detectors/safety.py) on the committed clean fixtures: CPU time and scores.

    PYTHONPATH=. nice -n 10 python scripts/measure_safety.py

CPU time is ``time.process_time`` of one call on one picture (preprocessing included) with one onnxruntime
thread, so it is about what an idle core gives as wall time on a busy shared machine. The scores are the highest
NSFL and NSFW probabilities over every picture and sampled video frame in tests/fixtures, the photos in
tests/moderation/data and scikit-learn's two, and a noise and a skin-tone frame: all of them clean.
Nothing here measures recall: no gore or porn is committed or obtainable.
"""

from __future__ import annotations

import statistics
import time
from contextlib import closing
from pathlib import Path

import numpy as np
from PIL import Image

from vodguard.moderation.config import Limits
from vodguard.moderation.detectors.base import package_dir
from vodguard.moderation.detectors.safety import CLASSES, SafetyDetector
from vodguard.moderation.media import load_image_frames, probe, sample_frames
from vodguard.moderation.types import Frame

TESTS = Path(__file__).resolve().parent.parent / "tests"
FIXTURES = TESTS / "fixtures"
LIMITS = Limits()
REPEATS = 5


def pictures() -> dict[str, list[Frame]]:
    """Every committed clean picture and sampled video frame, and the photos the vision tests use, by name."""
    photos = [TESTS / "moderation" / "data" / n for n in ("astronaut.jpg", "rocket.jpg")]
    photos += [
        Path(str(package_dir("sklearn"))) / "datasets" / "images" / n for n in ("china.jpg", "flower.jpg")
    ]
    found = {p.name: [Frame(np.asarray(Image.open(p).convert("RGB")), 0.0)] for p in photos}
    found["noise"] = [Frame(np.random.default_rng(7).integers(0, 256, (720, 1280, 3), dtype=np.uint8), 0.0)]
    found["skin tone"] = [Frame(np.full((720, 1280, 3), (224, 172, 140), np.uint8), 0.0)]
    for path in sorted((FIXTURES / "images").iterdir()):
        if path.suffix != ".json":
            with closing(load_image_frames(path, LIMITS)) as frames:
                found[f"images/{path.name}"] = list(frames)
    for path in sorted(FIXTURES.glob("*.mp4")):
        info = probe(path, LIMITS)
        if info.has_video:
            found[path.name] = list(
                sample_frames(path, info, interval=1.0, scene_threshold=0.35, dedupe_hamming=4, limits=LIMITS)
            )
    return found


def cpu_ms(detector: SafetyDetector, frame: Frame) -> float:
    """The median CPU time of ``REPEATS`` single-picture calls, in milliseconds."""
    times = []
    for _ in range(REPEATS):
        start = time.process_time()
        detector([frame])
        times.append((time.process_time() - start) * 1000.0)
    return statistics.median(times)


def main() -> None:
    detector = SafetyDetector(threads=1)
    found = pictures()
    detector(found["clean_video.mp4"][:1])  # warm-up: the first run allocates
    images = [f for name, frames in found.items() if name.startswith("images/") for f in frames]
    per_image = [cpu_ms(detector, f) for f in images]
    print(f"fixture images: {len(images)} pictures, median {statistics.median(per_image):.1f} ms CPU")
    photos = [
        cpu_ms(detector, found[n][0]) for n in ("astronaut.jpg", "rocket.jpg", "china.jpg", "flower.jpg")
    ]
    print(f"4 photos (320x320 to 640x480): median {statistics.median(photos):.1f} ms CPU")
    big = Frame(np.asarray(found["clean_video.mp4"][0].image.repeat(4, 0).repeat(4, 1)[:720, :1280]), 0.0)
    print(f"a {big.width}x{big.height} frame: {cpu_ms(detector, big):.1f} ms CPU")
    everything = [f for frames in found.values() for f in frames]
    probs = detector.probabilities(everything)
    print(f"{len(everything)} clean pictures and frames from {len(found)} files")
    for column, name in enumerate(CLASSES[:2]):
        worst = int(probs[:, column].argmax())
        where = next(n for n, frames in found.items() if any(f is everything[worst] for f in frames))
        print(f"max {name}: {probs[worst, column]:.3f} ({where}); findings: {len(detector(everything))}")


if __name__ == "__main__":
    main()
