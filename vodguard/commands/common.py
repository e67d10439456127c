"""Options shared by the sub-commands that touch the data directory, and the metrics set-up of ``serve`` and
``worker``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from vodguard import __version__
from vodguard.config import Settings

if TYPE_CHECKING:
    from vodguard.services.container import Services

VERSION = __version__  # for `vodguard --version` (the cli module may import only commands)
EXIT_USAGE = 4  # a bad option, for every sub-command (0-2 are pass/review/block, 3 an unreadable file)


class UsageError(Exception):
    """A bad option, path or setting, found before any work: ``vodguard`` prints its one line and exits 4.
    ``prog`` names the command in that line (``vodguard review``); the sub-command's name when absent."""

    def __init__(self, message: str, *, prog: str = "") -> None:
        super().__init__(message)
        self.prog = prog


def action_parsers(
    parser: argparse.ArgumentParser, dest: str, epilog: str
) -> Callable[[str, str], argparse.ArgumentParser]:
    """A maker of ``parser``'s actions (``keys create``, ``known add``...), each with its help as description and
    the group's examples as epilog, so that ``vodguard GROUP ACTION --help`` shows them."""
    actions = parser.add_subparsers(dest=dest, required=True, metavar="ACTION")

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        return actions.add_parser(
            name, help=help_text, description=help_text, epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )  # fmt: skip

    return action


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", default=None, help="where all state lives (env VODGUARD_DATA_DIR, default ./data)"
    )


def settings_from(args: argparse.Namespace, **overrides: object) -> Settings:
    """Settings from flags and ``VODGUARD_*``; a bad value raises ``UsageError`` naming the variable, and so does
    a data directory that is a file or cannot be made."""
    # Any: the values are checked by pydantic, field by field, not by their static type
    values: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    if getattr(args, "data_dir", None):
        values["data_dir"] = args.data_dir
    try:
        settings = Settings(**values)  # env VODGUARD_* fills the rest
    except ValidationError as exc:
        problems = "; ".join(
            f"VODGUARD_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        raise UsageError(problems) from None
    _check_data_dir(settings.data_dir)
    return settings


def _check_data_dir(path: Path) -> None:
    """Refuse a data directory that is a file, or under a file, or that could be made nowhere writable."""
    if path.exists():
        if not path.is_dir():
            raise UsageError(f"--data-dir {path} is a file, not a folder")
        if not os.access(path, os.R_OK | os.X_OK):
            raise UsageError(f"--data-dir {path} cannot be read (permissions)")
        return
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"--data-dir {path} does not exist and cannot be made under {parent}")


def existing_settings(args: argparse.Namespace) -> Settings:
    """Settings for a command that only reads (or changes what exists): the data directory must exist and hold
    a database, and it is never made. Says on stderr which directory it reads."""
    settings = settings_from(args)
    where = settings.data_dir
    if not settings.has_database:
        raise UsageError(
            f"no vodguard data in {where}: pass --data-dir or set VODGUARD_DATA_DIR to the folder `vodguard serve` uses"
        )
    print(f"data: {where}", file=sys.stderr)
    return settings


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


def warm_up_in_background(services: Services) -> threading.Thread:
    """Load the models of every label on a background thread, so that a worker's first task does not wait for
    them (and no later task loads them again: the engine keeps them), and log when they are ready."""
    thread = threading.Thread(target=_warm_up, args=(services,), name="warm-up", daemon=True)
    thread.start()
    return thread


def _warm_up(services: Services) -> None:
    from vodguard.services.templates import LABELS

    log = logging.getLogger("vodguard.models")
    began = time.monotonic()
    log.info("loading the models of every label...")
    try:
        loaded = services.engine().warm_up(LABELS)
    except Exception as exc:  # noqa: BLE001 - the first task reports it too; the API keeps serving
        log.error("models could not load: %s", exc)
        return
    log.info("models ready in %.0f s (%s)", time.monotonic() - began, ", ".join(loaded))
