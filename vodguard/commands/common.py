"""Options shared by the sub-commands that touch the data directory."""

from __future__ import annotations

import argparse

from pydantic import ValidationError

from vodguard.config import Settings


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", default=None, help="where all state lives (env VODGUARD_DATA_DIR, default ./data)"
    )


def settings_from(args: argparse.Namespace, **overrides: object) -> Settings:
    """Settings from flags and ``VODGUARD_*``; a bad value exits with a message naming the variable."""
    values = {k: v for k, v in overrides.items() if v is not None}
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
