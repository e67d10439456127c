"""Figures, percentiles and the machine they were measured on."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vodguard.evaluation import report as evaluation_report

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Figure:
    """One measured number; ``better`` says which way is good, so a ratio to the last run can be read."""

    key: str  # stable name, e.g. "engine.video.x_realtime"
    title: str
    value: float
    unit: str
    better: str = "higher"  # higher / lower
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q`` percentile (0..100) of ``values``."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil without floats going wrong at the edges
    return ordered[int(rank) - 1]


def load() -> float:
    """The 1-minute load average: other jobs on a shared machine slow every figure down."""
    return round(os.getloadavg()[0], 2)


def machine() -> dict[str, Any]:
    """Cores, CPU model, Python and the commit the figures belong to."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = ""
    described = evaluation_report.machine()
    return {
        "cores": described["cores"],
        "cpu": described["cpu"],
        "python": platform.python_version(),
        "commit": commit,
    }


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
