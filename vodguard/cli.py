"""The ``vodguard`` command: serve, worker, keys, sign-upload, review (and more as the product grows)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each sub-command lives in vodguard/commands/<name>.py with register(subparsers) setting func=run(args) -> int.
COMMANDS = ("serve", "worker", "keys", "users", "sign_upload", "review", "text", "eval", "known")


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


# Commands whose exit statuses carry meaning: argparse's 2 for a usage error would read as review's "block".
USAGE_EXIT = {"review": 4, "text": 4, "users": 4}


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(words)
    except SystemExit as exc:
        command = next((w for w in words if not w.startswith("-")), "")
        if exc.code == 2 and command in USAGE_EXIT:
            return USAGE_EXIT[command]
        raise
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
