"""The ``vodguard`` command: serve, worker, keys, sign-upload, review (and more as the product grows)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each sub-command lives in vodguard/commands/<name>.py with register(subparsers) setting func=run(args) -> int.
COMMANDS = ("serve", "worker", "keys", "sign_upload", "review", "eval")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vodguard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"vodguard.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"vodguard.commands.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
