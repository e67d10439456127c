"""The ``vodguard`` command: one parser over the sub-commands in ``vodguard/commands/``, and the one place where
usage errors become a single line on stderr and exit status 4, never a traceback."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from vodguard.commands.common import EXIT_USAGE, VERSION, UsageError

# Each sub-command lives in vodguard/commands/<name>.py with register(subparsers) setting func=run(args) -> int.
# Every one of these modules is imported to build the parser, whatever the command, so they import the services,
# the server and the models inside run(), not at the top: `vodguard --version` took 1.5 s when they did not
# (tests/test_cli.py checks what building the parser imports).
COMMANDS = (
    "serve",
    "worker",
    "keys",
    "users",
    "sign_upload",
    "review",
    "text",
    "eval",
    "known",
    "lookup",
    "completion",
)

DESCRIPTION = "Self-hosted content moderation that speaks Tencent Cloud VOD's API 3.0."
EPILOG = """\
examples:
  vodguard serve                                  # the server on 127.0.0.1:8080, state in ./data
  vodguard keys create --app 1500000001           # another key pair for the first app
  curl -u SECRET_ID:SECRET_KEY -F file=@clip.mp4 -F procedure=review http://127.0.0.1:8080/upload
  vodguard task show TASKID --wait                # the upload's review result
  vodguard review clip.mp4 photo.jpg --html report.html   # moderate local files, no server
  vodguard COMMAND --help                         # each command's options and examples

exit status: 0/1/2 pass/review/block (review, text, task show), 3 a file or result that cannot be read,
4 a bad option, path or setting (one line on stderr), 130 interrupted.
"""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: a usage mistake raises ``UsageError`` instead of printing usage and exiting 2
    (which would read as review's "block")."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)", prog=self.prog)


def build_parser() -> Parser:
    parser = Parser(
        prog="vodguard",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"vodguard {VERSION}")
    parser.set_defaults(
        root_parser=parser
    )  # for `vodguard completion`, which generates from the whole parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"vodguard.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not words:
        parser.print_help()
        return 0
    try:
        args = parser.parse_args(words)
        if args.command is None:
            raise UsageError("name a command (see vodguard --help)", prog="vodguard")
        return int(args.func(args) or 0)
    except UsageError as exc:
        command = f"vodguard {words[0]}" if not words[0].startswith("-") else "vodguard"
        # the top parser reports unknown options, but they belong to the command
        prog = command if exc.prog in ("", "vodguard") and "invalid choice" not in str(exc) else exc.prog
        message = str(exc).replace("(see vodguard --help)", f"(see {prog} --help)")
        print(f"{prog}: {message}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:
        if isinstance(exc.code, str):  # a setting refused at start-up (raise SystemExit("VODGUARD_X: ..."))
            print(f"vodguard: {exc.code}", file=sys.stderr)
            return EXIT_USAGE
        raise
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `vodguard ... | head`: the reader left; say nothing more
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - Python flushes stdout at exit, into a closed pipe
        return 141


if __name__ == "__main__":
    sys.exit(main())
