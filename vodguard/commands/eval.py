"""``vodguard eval``: measure the moderation on labelled files, build a labelled corpus, score text on COLD.

examples:
    vodguard eval MANIFEST [--labels LIST] [--json OUT]     score the engine on a JSON Lines manifest
    vodguard eval MANIFEST --labels all --budget fast        ... with a template's budget (fast/balanced/thorough)
    vodguard eval make-corpus DIR [--size small|full]       make a labelled corpus and DIR/manifest.jsonl
    vodguard eval cold PATH [--json OUT]                    score text moderation on a COLD CSV
    vodguard eval text FILE.jsonl [--labels LIST] [--json OUT] [--mistakes OUT]
                                                            score text moderation on labelled sentences
                                                            ({"text", "labels": [...]}, [] = clean)

Exit status: 0 done, 3 some file could not be moderated (the report counts it), 4 a bad option or manifest,
5 the corpus cannot be made here (a tool or font is missing; the message says what to install).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from vodguard.commands.common import EXIT_USAGE, add_data_dir, settings_from
from vodguard.commands.paths import check_output_file

EXIT_ERROR, EXIT_MISSING = 3, 5


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``eval`` sub-command to the CLI."""
    parser = sub.add_parser(
        "eval",
        help="measure moderation quality on labelled files (or make a corpus, or score COLD)",
        description="Measure moderation quality on labelled files, make a labelled corpus, or score text on COLD.",
        epilog=__doc__.split("\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("target", metavar="MANIFEST|make-corpus|cold|text", help="a manifest, or an action")
    parser.add_argument(
        "path", nargs="?", type=Path, help="DIR for make-corpus, the CSV for cold, the JSON Lines for text"
    )
    parser.add_argument("--template", type=int, default=10, metavar="N", help="only the preset 10 (default)")
    parser.add_argument(
        "--labels", metavar="LIST", help="comma-separated labels to review and score, or 'all'"
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the report as JSON")
    parser.add_argument(
        "--mistakes",
        type=Path,
        metavar="OUT",
        help="text: also write each sentence that was missed or flagged wrongly, with its hits (JSON Lines)",
    )
    parser.add_argument(
        "--size", choices=("small", "full"), default="small", help="corpus size (make-corpus)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="make-corpus: keep files an earlier run of this version made"
    )
    parser.add_argument("--limit", type=int, metavar="N", help="score only the first N files or texts")
    parser.add_argument(
        "--budget",
        choices=("fast", "balanced", "thorough"),
        default="balanced",
        help="the template's budget: how densely videos are sampled (default balanced)",
    )
    add_data_dir(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Dispatch on the first argument: make-corpus, cold, or a manifest to score."""
    if args.json is not None:
        check_output_file(args.json, "--json")
    if args.mistakes is not None:
        if args.target != "text":
            return _usage("--mistakes is for eval text")
        check_output_file(args.mistakes, "--mistakes")
    if args.target == "make-corpus":
        return _make_corpus(args)
    if args.target == "cold":
        return _cold(args)
    if args.target == "text":
        return _text(args)
    if args.path is not None:
        return _usage(f"unexpected argument {args.path}; give one MANIFEST")
    return _manifest(args)


def _usage(message: str) -> int:
    print(f"vodguard eval: {message}", file=sys.stderr)
    return EXIT_USAGE


def _make_corpus(args: argparse.Namespace) -> int:
    from vodguard.evaluation.corpus import make_corpus
    from vodguard.evaluation.synth import CorpusError

    if args.path is None:
        return _usage("make-corpus needs a folder: vodguard eval make-corpus DIR")
    try:
        entries = make_corpus(
            args.path, size=args.size, reuse=args.reuse, log=lambda line: print(line, flush=True)
        )
    except CorpusError as exc:
        print(f"vodguard eval make-corpus: {exc}", file=sys.stderr)
        return EXIT_MISSING
    print(f"{len(entries)} files, manifest written to {args.path / 'manifest.jsonl'}")
    return 0


def _cold(args: argparse.Namespace) -> int:
    from vodguard.evaluation.cold import print_cold, read_cold, score_cold
    from vodguard.evaluation.report import machine, write_json

    if args.path is None:
        return _usage("cold needs the CSV: vodguard eval cold PATH/TO/dev.csv")
    try:
        examples = read_cold(args.path, args.limit)
    except (OSError, ValueError) as exc:
        return _usage(str(exc))
    scores = score_cold(examples)
    print_cold(scores)
    if args.json:
        write_json(args.json, {"dataset": str(args.path), "machine": machine(), **scores.to_json()})
    return 0


def _text(args: argparse.Namespace) -> int:
    from vodguard.evaluation.report import machine, write_json
    from vodguard.evaluation.textset import print_text_scores, read_labelled, score_texts, write_mistakes
    from vodguard.moderation.errors import ModelUnavailable
    from vodguard.moderation.presets import parse_labels
    from vodguard.moderation.types import LABELS

    if args.path is None:
        return _usage("text needs a file: vodguard eval text FILE.jsonl")
    try:
        labels = parse_labels(args.labels) if args.labels else frozenset(LABELS)
        examples = read_labelled(args.path, args.limit)
    except FileNotFoundError:
        return _usage(f"{args.path}: no such file")
    except (OSError, ValueError) as exc:
        return _usage(str(exc))
    from vodguard.moderation.text import get_text_moderator

    try:
        moderator = get_text_moderator(settings_from(args).models_dir)
    except ModelUnavailable as exc:
        return _usage(str(exc))
    scores = score_texts(
        examples, lambda text: moderator(text, labels=labels), labels, keep_mistakes=args.mistakes is not None
    )
    print_text_scores(scores)
    if args.json:
        write_json(args.json, {"dataset": str(args.path), "machine": machine(), **scores.to_json()})
    if args.mistakes:
        write_mistakes(args.mistakes, scores)
    return 0


def _manifest(args: argparse.Namespace) -> int:
    from vodguard.evaluation.manifest import Entry, ManifestError, read_manifest
    from vodguard.evaluation.report import print_report, report_json, write_json
    from vodguard.evaluation.runner import run_manifest
    from vodguard.evaluation.scoring import Prediction, score
    from vodguard.moderation.config import EngineConfig
    from vodguard.moderation.presets import IMAGE_LABELS, labels_template, parse_labels, preset_template

    if args.template != 10:
        return _usage(
            f"--template {args.template}: only the preset 10 is known outside the server; use --labels"
        )
    try:
        entries = read_manifest(args.target)
    except FileNotFoundError:
        return _usage(f"{args.target}: no such manifest")
    except (ManifestError, OSError) as exc:
        return _usage(str(exc))
    if args.limit is not None:
        entries = entries[: args.limit]
    try:
        if args.labels:
            media = labels_template(parse_labels(args.labels))
            image = media
        else:
            media, image = preset_template(), preset_template(image=True)
    except ValueError as exc:
        return _usage(str(exc))
    media, image = (dataclasses.replace(t, budget=args.budget) for t in (media, image))
    from vodguard.moderation.engine import Engine

    settings = settings_from(args)
    engine = Engine(
        EngineConfig(
            models_dir=settings.models_dir,
            int8_models=settings.int8_models,
            skip_unchanged=settings.skip_unchanged,
            ocr_text_cells=settings.ocr_text_cells,
            safety_cascade=settings.safety_cascade,
            ocr_ticking=settings.ocr_ticking,
        )
    )
    from rich.console import Console

    console = Console(stderr=True, highlight=False)

    def progress(i: int, entry: Entry, prediction: Prediction) -> None:
        outcome = prediction.error or prediction.suggestion
        console.print(f"[{i + 1}/{len(entries)}] {entry.path.name}: {outcome} ({prediction.seconds:.1f} s)")

    pairs = list(run_manifest(engine, entries, media, image, on_file=progress))
    # a picture is scored on the labels its template had; Moan exists only for audio/video
    labels = set(media.labels) | (set(image.labels) & IMAGE_LABELS)
    scores = score(pairs, labels)
    print_report(scores)
    if args.json:
        root = Path(args.target).resolve().parent
        write_json(
            args.json,
            report_json(scores, pairs, manifest=Path(args.target), labels=sorted(labels), root=root),
        )
        print(f"report written to {args.json}")
    return EXIT_ERROR if scores.errors else 0
