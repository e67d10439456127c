"""``vodguard completion bash|zsh``: print a shell completion script, generated from the parser by shtab."""

from __future__ import annotations

import argparse

SHELLS = ("bash", "zsh")

_EPILOG = """\
examples:
  vodguard completion bash > ~/.local/share/bash-completion/completions/vodguard
  vodguard completion zsh > "${fpath[1]}/_vodguard"      # then start a new shell
  eval "$(vodguard completion bash)"                      # this shell only
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script for bash or zsh: commands, options and file names complete.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import shtab

    # the whole parser, which vodguard/cli.py hands down (commands may not import the cli: no circles)
    print(shtab.complete(args.root_parser, shell=args.shell))
    return 0
