"""``vodguard text [TEXT...]``: moderate strings, given as arguments or one per line on standard input.

examples:
    vodguard text "add me on vx abc123 for free stuff"
    cat comments.txt | vodguard text --labels Ad,Abuse --json

Exit status: 0 when every text passes, 1 when the worst is review, 2 when the worst is block, 4 on a bad option
or a text model that will not load (the message names it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator

from vodguard.commands.common import EXIT_USAGE, settings_from
from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.policy import suggestion_for
from vodguard.moderation.presets import labels_template, parse_labels
from vodguard.moderation.types import SUGGESTION_RANK, Template, TextHit


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``text`` sub-command to the CLI."""
    parser = sub.add_parser(
        "text",
        help="moderate text given as arguments or on standard input",
        description="Moderate text: each argument, or each line of standard input when there is none.",
        epilog=__doc__.split("\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "texts", nargs="*", metavar="TEXT", help="texts to moderate (default: lines of stdin)"
    )
    parser.add_argument(
        "--labels", default="all", metavar="LIST", help="comma-separated labels, or 'all' (default)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON line per text")
    parser.set_defaults(func=run)


def judge(hits: list[TextHit], template: Template) -> tuple[str, TextHit | None]:
    """The worst suggestion over ``hits`` under ``template``, and the hit that gives it."""
    best: tuple[int, float] = (0, 0.0)
    worst: tuple[str, TextHit | None] = ("pass", None)
    for hit in hits:
        suggestion = suggestion_for(hit.label, hit.confidence, template)
        if suggestion and (SUGGESTION_RANK[suggestion], hit.confidence) > best:
            best, worst = (SUGGESTION_RANK[suggestion], hit.confidence), (suggestion, hit)
    return worst


def _inputs(args: argparse.Namespace) -> Iterator[str]:
    if args.texts:
        yield from args.texts
        return
    # undecodable bytes become U+FFFD rather than an exception: a moderator reads what it is given
    stdin = open(sys.stdin.fileno(), encoding="utf-8", errors="replace", closefd=False)
    for line in stdin:
        yield line.rstrip("\r\n")


def run(args: argparse.Namespace) -> int:
    try:
        template = labels_template(parse_labels(args.labels))
    except ValueError as exc:
        print(f"vodguard text: --labels: {exc}", file=sys.stderr)
        return EXIT_USAGE
    # the models folder (VODGUARD_MODEL_CACHE_DIR, or the data directory's) keeps the tokenizer's tables between
    # runs, as it does for `vodguard review`: a second of every start
    models_dir = settings_from(args).models_dir
    from vodguard.moderation.text import get_text_moderator

    try:
        moderator = get_text_moderator(models_dir)
    except ModelUnavailable as exc:
        print(f"vodguard text: {exc}", file=sys.stderr)
        return EXIT_USAGE
    worst = "pass"
    for text in _inputs(args):
        suggestion, hit = judge(moderator(text, labels=template.labels), template)
        if SUGGESTION_RANK[suggestion] > SUGGESTION_RANK[worst]:
            worst = suggestion
        if args.json:
            line = {
                "Text": text,
                "Suggestion": suggestion,
                "Label": hit.label if hit else "",
                "SubLabel": hit.sub_label if hit else "",
                "Confidence": round(hit.confidence, 1) if hit else 0.0,
                "Keywords": list(hit.keywords) if hit else [],
            }
            print(json.dumps(line, ensure_ascii=False), flush=True)
        else:
            why = f"{hit.label}/{hit.sub_label} {hit.confidence:.0f}" if hit else ""
            keywords = f" [{', '.join(hit.keywords)}]" if hit and hit.keywords else ""
            shown = text if len(text) <= 120 else text[:117] + "..."
            print(f"{suggestion.upper():6} {why}{keywords}  {shown}", flush=True)
    return SUGGESTION_RANK[worst]  # exit status as vodguard review gives it
