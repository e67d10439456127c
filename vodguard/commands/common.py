"""Options shared by the sub-commands that touch the data directory."""

from __future__ import annotations

import argparse

from vodguard.config import Settings


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", default=None, help="where all state lives (env VODGUARD_DATA_DIR, default ./data)"
    )


def settings_from(args: argparse.Namespace, **overrides: object) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if getattr(args, "data_dir", None):
        values["data_dir"] = args.data_dir
    return Settings(**values)  # env VODGUARD_* fills the rest
