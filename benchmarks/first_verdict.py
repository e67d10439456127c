"""Pre-moderation's "first verdict": the seconds until a block, on a video whose violation is at minute 1.

The video is made from committed fixtures: the first minute of the benchmark video as its twelve frames in
``tests/fixtures/clean_pictures`` (``bench_frame_t*.jpg``, one every 5 s), panned slowly with a running clock in
the corner so that sampled frames differ as a real video's do, and the clean cooking-show speech of
``clean_video.mp4`` looped under it. At ``at`` seconds the fixtures' ``images/text.png`` (a porn ad caption in
English and Chinese, a block) is laid over the picture for ``show`` seconds; the video goes on clean after it.

The engine is warmed first (a pre-moderation server keeps its models loaded), then moderates the video with every
label and ``early_exit``, as ``vodguard review --early-exit`` does: the call returns at the first confident block.
"""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from benchmarks.figures import ROOT, Figure, load
from vodguard.moderation.config import EngineConfig

FIXTURES = ROOT / "tests" / "fixtures"
VIOLATION_AT = 60.0


def make_video(
    out: Path,
    *,
    seconds: float = 90.0,
    at: float = VIOLATION_AT,
    show: float = 10.0,
    size: tuple[int, int] = (1280, 720),
    fps: int = 25,
) -> Path:
    """Write the video (H.264 + AAC) to ``out`` and return it; the caption is on screen from ``at`` for ``show``."""
    import av
    from PIL import Image, ImageDraw

    width, height = size
    backgrounds = [
        Image.open(path).convert("RGB").resize((width + width // 8, height + height // 8))
        for path in sorted((FIXTURES / "clean_pictures").glob("bench_frame_t*.jpg"))
    ]
    caption = Image.open(FIXTURES / "images" / "text.png").convert("RGB")
    caption = caption.resize((width * 5 // 8, width * 5 // 8 * caption.height // caption.width))
    speech = _clean_speech()
    out.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(out), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "veryfast"}
        audio = container.add_stream("aac", rate=16000)
        audio.layout = "mono"
        for i in range(round(seconds * fps)):
            t = i / fps
            background = backgrounds[int(t // 5) % len(backgrounds)]
            shift = int(t * 4) % (width // 8)  # a slow pan: no two seconds look alike
            frame = background.crop((shift, shift * 9 // 16, shift + width, shift * 9 // 16 + height))
            draw = ImageDraw.Draw(frame)
            draw.rectangle((width - 150, 10, width - 10, 50), fill=(0, 0, 0))
            draw.text((width - 140, 20), f"{int(t) // 60:02d}:{int(t) % 60:02d}", fill=(255, 255, 255))
            if at <= t < at + show:
                frame.paste(caption, ((width - caption.width) // 2, height - caption.height - 40))
            for packet in video.encode(av.VideoFrame.from_image(frame)):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        samples = np.resize(speech, round(seconds * 16000)).astype(np.float32)
        for start in range(0, len(samples), 1024):
            chunk = av.AudioFrame.from_ndarray(
                samples[None, start : start + 1024], format="fltp", layout="mono"
            )
            chunk.sample_rate, chunk.pts, chunk.time_base = 16000, start, Fraction(1, 16000)
            for packet in audio.encode(chunk):
                container.mux(packet)
        for packet in audio.encode():
            container.mux(packet)
    return out


def _clean_speech() -> np.ndarray:
    """The clean speech of ``clean_video.mp4`` (a cooking show), 16 kHz mono float."""
    import av

    pieces = []
    with av.open(str(FIXTURES / "clean_video.mp4")) as container:
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=16000)
        for frame in container.decode(audio=0):
            pieces += [f.to_ndarray()[0] for f in resampler.resample(frame)]
    return np.concatenate(pieces)


def first_verdict(config: EngineConfig, work: Path, notes: list[str]) -> list[Figure]:
    """Seconds (wall and CPU) until the block of a violation at minute 1, warm engine, balanced and fast budgets."""
    import dataclasses

    from vodguard.moderation.engine import Engine
    from vodguard.moderation.presets import labels_template
    from vodguard.moderation.types import LABELS

    path = work / "first_verdict.mp4"
    if not path.is_file():
        make_video(path.with_suffix(".part.mp4"))
        path.with_suffix(".part.mp4").replace(path)
    engine = Engine(config)
    engine.warm_up(LABELS)
    figures: list[Figure] = []
    for budget in ("balanced", "fast"):
        template = dataclasses.replace(labels_template(LABELS), early_exit=True, budget=budget)
        before = load()
        wall, cpu = time.perf_counter(), time.process_time()
        result = engine.moderate_media(path, template)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        found = [s for s in result.segments if s.suggestion == "block"]
        if result.suggestion != "block" or not found:
            notes.append(f"first verdict: {budget} budget gave {result.suggestion}, not a block; no figure")
            continue
        suffix, what = ("", "") if budget == "balanced" else (f".{budget}", f", {budget} budget")
        figures += [
            Figure(
                f"engine.first_verdict{suffix}",
                f"Pre-moderation{what}: seconds until the block of a violation at minute 1 (early exit, warm)",
                wall,
                "s",
                better="lower",
            ),
            Figure(
                f"engine.first_verdict{suffix}.cpu",
                f"Pre-moderation{what}: CPU seconds until that block",
                cpu,
                "s",
                better="lower",
            ),
        ]
        notes.append(
            f"first verdict ({budget}): a {result.duration:.0f}-s 1280×720 video (fixtures' benchmark frames, "
            f"clean speech) with a porn ad caption from {VIOLATION_AT:.0f} s; every label, early exit, models "
            f"loaded beforehand; blocked at {min(s.start for s in found):.1f} s of the video; load average "
            f"{before} before, {load()} after."
        )
    return figures
