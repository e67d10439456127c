"""Options shared by the sub-commands that touch the data directory, and the metrics set-up of ``serve`` and
``worker``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from vodguard.config import Settings

EXIT_USAGE = 4  # a bad option, for every sub-command (0-2 are pass/review/block, 3 an unreadable file)


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", default=None, help="where all state lives (env VODGUARD_DATA_DIR, default ./data)"
    )


def settings_from(args: argparse.Namespace, **overrides: object) -> Settings:
    """Settings from flags and ``VODGUARD_*``; a bad value exits with a message naming the variable."""
    # Any: the values are checked by pydantic, field by field, not by their static type
    values: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    if getattr(args, "data_dir", None):
        values["data_dir"] = args.data_dir
    try:
        return Settings(**values)  # env VODGUARD_* fills the rest
    except ValidationError as exc:
        problems = "; ".join(
            f"VODGUARD_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        raise SystemExit(f"vodguard: {problems}") from None


def share_metrics(data_dir: Path) -> None:
    """Record this process's metrics in ``<data dir>/metrics``, where ``/metrics`` of every API server on the data
    directory sums them with those of the other processes (prometheus_client's multiprocess mode).

    Runs before anything imports ``prometheus_client``, which picks its mode once, when first imported. A
    ``PROMETHEUS_MULTIPROC_DIR`` the operator set is used as it is.
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    if "prometheus_client" in sys.modules:
        raise RuntimeError("share_metrics() must run before prometheus_client (vodguard.metrics) is imported")
    folder = data_dir / "metrics"
    folder.mkdir(parents=True, exist_ok=True)
    _forget_finished_run(folder)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def _forget_finished_run(folder: Path) -> None:
    """Delete the files of an earlier run: those left when no process that wrote here is alive any more.

    prometheus_client keeps the counts of a process that ended, so totals never drop while the others run, and
    leaves emptying the folder between runs to its user. A run ends when its last process does.
    """
    files = list(folder.glob("*.db"))
    pids = {int(pid) for f in files if (pid := f.stem.rpartition("_")[2]).isdigit()}
    if any(_alive(pid) for pid in pids - {os.getpid()}):
        return
    for path in files:
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
