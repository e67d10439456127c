"""Engine speed: one long video end to end and per stage, and picture latency."""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.figures import ROOT, Figure, load, percentile
from vodguard.moderation.config import EngineConfig
from vodguard.moderation.presets import labels_template, preset_template
from vodguard.moderation.types import LABELS, ModerationResult


def video(path: Path, config: EngineConfig, notes: list[str]) -> list[Figure]:
    """Moderate ``path`` once with every label (a fresh engine, so model loading is part of the figure)."""
    before = load()
    result, wall = _moderated(path, config)
    duration = result.duration
    loading = sum(t.seconds for t in result.timings if t.name == "load_models")
    what = f"{duration / 60:.0f}-min {_resolution(path)} video"
    figures = [
        Figure("engine.video.x_realtime", f"Engine, {what}, all labels: end to end", duration / wall, "×RT"),
        Figure(
            "engine.video.x_realtime_warm",
            "Engine, same video, model loading time subtracted (approximate: loads overlap work)",
            duration / max(wall - loading, 1e-9),
            "×RT",
        ),
        Figure("engine.video.wall", "Engine, same video: wall time", wall, "s", better="lower"),
    ]
    for timing in sorted(result.timings, key=lambda t: -t.seconds):
        items = f", {timing.items} items" if timing.items else ""
        figures.append(
            Figure(
                f"engine.stage.{timing.name}",
                f"Engine stage {timing.name} (busy time{items})",
                timing.seconds,
                "s",
                better="lower",
            )
        )
    notes.append(
        f"Engine video: {duration:.0f} s of media, suggestion {result.suggestion}, {len(result.segments)} "
        f"segment(s); stages run on parallel threads, so their busy times add up to more than the wall time; "
        f"load average {before} before, {load()} after."
    )
    return figures


def video_again(path: Path, config: EngineConfig) -> list[Figure]:
    """The same run as ``video``, after the naive baseline: the baseline takes ten times as long, and the host's
    speed can drift by more than the engine's margin within that time (docs/benchmarks.md), so the lead is taken
    against the engine's runs on both sides of it. It runs in a fresh process, as the first run met the engine:
    in this one the modules are imported and the text models loaded (a process-wide singleton), which took about
    five seconds off a second run here."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.engine_bench", str(path), str(config.models_dir)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the second engine run failed ({done.returncode}): {done.stderr.strip()[-400:]}")
    wall = float(done.stdout.split()[-1])
    return [
        Figure(
            "engine.video.wall_after",
            "Engine, same video after the baseline (a fresh process): wall time",
            wall,
            "s",
            better="lower",
        )
    ]


def _moderated(path: Path, config: EngineConfig) -> tuple[ModerationResult, float]:
    """``path`` moderated with every label by a fresh engine, and the seconds it took, model loading included."""
    from vodguard.moderation.engine import Engine

    engine = Engine(config)
    template = labels_template(LABELS)
    start = time.perf_counter()
    result = engine.moderate_media(path, template)
    return result, time.perf_counter() - start


def leads(figures: list[Figure]) -> list[Figure]:
    """The engine's lead over the naive baseline: the baseline's wall time over the mean of the engine's runs
    before and after it, which cancels a steady drift of the host's speed (over the run before it alone where the
    second run failed); and, as reported up to 2026-12-06, over the run before it alone."""
    by_key = {f.key: f.value for f in figures}
    baseline, before = by_key["baseline.video.wall"], by_key["engine.video.wall"]
    walls = [before] + ([by_key["engine.video.wall_after"]] if "engine.video.wall_after" in by_key else [])
    which = (
        "the mean of the engine's runs before and after it"
        if len(walls) == 2
        else "the engine's run before it"
    )
    return [
        Figure(
            "engine.vs_baseline",
            f"Engine speed-up over the naive baseline, against {which}",
            baseline / (sum(walls) / len(walls)),
            "×",
        ),
        Figure(
            "engine.vs_baseline.before",
            "Engine speed-up over the naive baseline, against the engine's run before it",
            baseline / before,
            "×",
        ),
    ]


def _resolution(path: Path) -> str:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return f"{stream.width}×{stream.height}"


def pictures() -> list[Path]:
    """Clean photos from the repo and scikit-learn, and the fixtures' text picture."""
    found = [
        ROOT / "tests/moderation/data/astronaut.jpg",
        ROOT / "tests/moderation/data/rocket.jpg",
        ROOT / "tests/fixtures/images/gradient.jpg",
        ROOT / "tests/fixtures/images/text.png",
    ]
    try:
        import sklearn.datasets

        base = Path(sklearn.datasets.__file__).parent / "images"
        found += [base / "china.jpg", base / "flower.jpg"]
    except ImportError:
        pass
    return [p for p in found if p.is_file()]


def images(config: EngineConfig, notes: list[str], rounds: int = 5) -> list[Figure]:
    """p50/p95 of ``moderate_image`` with the image preset (Porn, Terror, Polity) and with every label: wall
    time, and the process's CPU time per call (the figure that holds on a shared machine)."""
    from vodguard.moderation.engine import Engine

    engine = Engine(config)
    files = pictures()
    figures = []
    before = load()
    for key, name, template in (
        ("preset", "preset 10 (Porn, Terror, Polity)", preset_template(image=True)),
        ("all", "every label (adds OCR)", labels_template(LABELS)),
    ):
        for path in files:  # warm-up: models load, caches fill
            engine.moderate_image(path, template)
        seconds, cpu = [], []
        for _ in range(rounds):
            for path in files:
                start, started_cpu = time.perf_counter(), time.process_time()
                engine.moderate_image(path, template)
                seconds.append(time.perf_counter() - start)
                # every thread of the call, and only this process: other jobs on the machine barely move it
                cpu.append(time.process_time() - started_cpu)
        for samples, suffix, what in ((seconds, "", "latency"), (cpu, ".cpu", "CPU time")):
            for q in (50, 95):
                figures.append(
                    Figure(
                        f"engine.image.{key}{suffix}.p{q}",
                        f"Engine image {what} p{q}, {name}",
                        percentile(samples, q) * 1000,
                        "ms",
                        better="lower",
                    )
                )
    notes.append(
        f"Engine images: {len(files)} pictures × {rounds} rounds per template, after one warm-up round "
        f"({', '.join(p.name for p in files)}); load average {before} before, {load()} after."
    )
    return figures


ZH_CLIP = ROOT / "tests/fixtures/zh_speech/rec_funasr_vad_example_0.flac"


def mandarin(config: EngineConfig, notes: list[str]) -> list[Figure]:
    """The default speech path on 70 s of recorded Mandarin talk: CPU seconds per minute of speech and ×RT.

    CPU time of this process, not wall time: the figure must not move with other jobs on the machine."""
    from vodguard.moderation.engine import Engine

    engine = Engine(config)
    template = labels_template(LABELS)
    engine.moderate_media(ZH_CLIP, template)  # warm-up: models load (the video part measures loading)
    cpu, start = time.process_time(), time.perf_counter()
    result = engine.moderate_media(ZH_CLIP, template)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - start
    notes.append(
        f"Mandarin clip: {ZH_CLIP.name} ({result.duration:.0f} s, recorded talk), every label, models warm; "
        f"suggestion {result.suggestion}, {len(result.segments)} segment(s)."
    )
    return [
        Figure(
            "engine.zh.cpu_per_min",
            "Engine, Mandarin speech: CPU seconds per minute",
            cpu / result.duration * 60,
            "s",
            better="lower",
        ),
        Figure("engine.zh.x_realtime", "Engine, Mandarin speech: end to end", result.duration / wall, "×RT"),
    ]


if __name__ == "__main__":  # video_again's fresh process: prints the wall time alone
    import sys

    print(f"{_moderated(Path(sys.argv[1]), EngineConfig(models_dir=Path(sys.argv[2])))[1]:.3f}")
