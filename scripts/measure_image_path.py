"""CPU time of one picture through the engine, and of each of its stages alone (docs/benchmarks.md).

usage: python scripts/measure_image_path.py [--rounds 5] [--pictures bench|clean] [--skip-engine] [--skip-stages]

Two commits side by side (the same load for both): run the script from each checkout at the same time.

* the engine: ``Engine.moderate_image`` with the image preset (Porn, Terror, Polity) and with every label, after
  a warm-up round: CPU seconds of the process per call (``time.process_time``: every thread of the call) and
  wall seconds, p50 and p95;
* each stage alone, one compute thread, preprocessing included: the four picture models and OCR as the engine
  runs it on a picture (a fresh OCR session per picture), p50 and p95 over the pictures; and, side by side, OCR
  reading each picture as a video's first frame (a full-size det, as pictures were read before 2026-12-04).

CPU time, not wall time, because the development machine is shared: other jobs stretch wall times but leave
the process's own CPU time about where it is.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.engine_bench import pictures  # noqa: E402
from benchmarks.figures import percentile  # noqa: E402
from vodguard.moderation import detectors, media  # noqa: E402
from vodguard.moderation.config import EngineConfig, Limits  # noqa: E402
from vodguard.moderation.engine import Engine  # noqa: E402
from vodguard.moderation.presets import labels_template, preset_template  # noqa: E402
from vodguard.moderation.types import LABELS, Frame  # noqa: E402

STAGES = ("nsfw:tiled", "terror:tiled", "safety", "drawn", "ocr", "ocr as a video frame")


def chosen(kind: str) -> list[Path]:
    if kind == "bench":
        return pictures()
    return sorted((ROOT / "tests/fixtures/clean_pictures").glob("*.jpg"))


def ms(values: list[float]) -> str:
    return f"p50 {percentile(values, 50) * 1000:.0f} ms, p95 {percentile(values, 95) * 1000:.0f} ms"


def engine_figures(config: EngineConfig, files: list[Path], rounds: int) -> None:
    engine = Engine(config)
    for name, template in (
        ("preset 10", preset_template(image=True)),
        ("every label", labels_template(LABELS)),
    ):
        for path in files:
            engine.moderate_image(path, template)
        cpu, wall = [], []
        for _ in range(rounds):
            for path in files:
                started, clock = time.process_time(), time.perf_counter()
                engine.moderate_image(path, template)
                cpu.append(time.process_time() - started)
                wall.append(time.perf_counter() - clock)
        print(f"engine, {name}: CPU {ms(cpu)}; wall {ms(wall)}")


def stage_figures(config: EngineConfig, files: list[Path]) -> None:
    single = EngineConfig(models_dir=config.models_dir, threads=1)
    built: dict[str, object] = {}

    def load(name: str) -> object:
        if name not in built:
            built[name] = detectors.build(name, single, load)
        return built[name]

    frames = {path: list(media.load_image_frames(path, Limits())) for path in files}
    for stage in STAGES:
        detector = load(stage.split(" ", 1)[0])
        seconds = []
        for path in files:
            batch: list[Frame] = frames[path]
            best = float("inf")
            for _ in range(3):  # the least of three: the stage's own cost, not another job's interruption
                started = time.process_time()
                if stage.startswith("ocr"):  # a fresh session per picture, as the engine reads one
                    detector.session(pictures=stage == "ocr")(batch)  # type: ignore[attr-defined]
                else:
                    detector(batch)  # type: ignore[operator]
                best = min(best, time.process_time() - started)
            seconds.append(best)
        print(f"stage {stage}: CPU {ms(seconds)} (one thread)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pictures", choices=("bench", "clean"), default="bench")
    parser.add_argument("--skip-engine", action="store_true")
    parser.add_argument("--skip-stages", action="store_true")
    args = parser.parse_args()
    config = EngineConfig(models_dir=ROOT / "data" / "models")
    files = chosen(args.pictures)
    print(f"{len(files)} pictures ({args.pictures})")
    if not args.skip_engine:
        engine_figures(config, files, args.rounds)
    if not args.skip_stages:
        stage_figures(config, files)


if __name__ == "__main__":
    main()
