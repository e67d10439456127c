"""``vodguard review PATH...``: moderate local files with the engine, no server needed.

Exit status: 0 when every file passes, 1 when the worst is review, 2 when the worst is block, 3 when a file
could not be moderated (unreadable, over a limit), 4 on a bad option or engine setting (a model that is missing
or will not load).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vodguard.commands.common import EXIT_USAGE, UsageError, add_data_dir, settings_from
from vodguard.commands.paths import check_output_file, media_files
from vodguard.commands.review_report import clock, write_report
from vodguard.moderation.errors import ModelUnavailable, ModerationError
from vodguard.moderation.plan import BUDGETS, DEFAULT_BUDGET
from vodguard.moderation.presets import PRESET_DEFINITION, labels_template, parse_labels, preset_template
from vodguard.moderation.types import LABELS, SUGGESTION_RANK, ModerationResult, Template
from vodguard.services import wire

if TYPE_CHECKING:
    from vodguard.services.known import LocalBank
    from vodguard.services.wire.results import KnownContentMatch

EXIT_ERROR = 3
CLI_MAX_IMAGE_BYTES = 64 << 20  # ReviewImage's 5 MB is a wire limit; a local file may be bigger

_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM")

_EPILOG = """\
labels:
  By default every label is checked: Porn, Terror, Polity, Ad, Illegal, Abuse, Moan.
  --labels Porn,Ad,Abuse checks only those. --template 10 gives the cloud's preset, the only template
  outside the server: Porn, Terror, Polity and Moan in audio/video, Porn, Terror and Polity in images.
  Every output names the labels it checked (Labels in --json).

budget:
  --budget sets how densely a video is looked at, as a server template's Budget does: fast reads half the
  frames and text (about 0.6x the CPU; segment edges less precise), balanced (the default) is the engine
  settings as they are, thorough reads twice the frames and text, scans frames in tiles and has the safety
  classifier read every frame, not every second one (about 3x the CPU). Pictures are always read whole and
  in tiles. Measured figures: docs/quality.md, "Budgets".

engine settings:
  The server's VODGUARD_* engine variables apply here too: VODGUARD_FRAME_INTERVAL, VODGUARD_OCR_INTERVAL,
  VODGUARD_VIDEO_TILES, VODGUARD_ASR_MODEL, VODGUARD_CUSTOM_MODELS_FILE and the others in the README.

examples:
  vodguard review clip.mp4 photo.jpg                  # every label; a verdict line per file
  vodguard review uploads/ --json > results.jsonl     # folders are searched recursively for media files
  vodguard review clip.mp4 --labels Porn,Ad --html report.html
  vodguard review clip.mp4 --template 10 --early-exit
  vodguard review uploads/ --budget fast --early-exit  # pre-moderation: the first block, soonest

exit status:
  0 every file passes, 1 the worst is review, 2 the worst is block,
  3 a file could not be moderated (the error is printed), 4 a bad option, path or engine setting
  (a missing file, an --html path that cannot be written), found before any file is moderated.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``review`` sub-command to the CLI."""
    parser = sub.add_parser(
        "review",
        help="moderate local video, audio and image files",
        description="Moderate local files offline with the same engine as the server.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="files to moderate, or folders to search for them"
    )
    parser.add_argument(
        "--template",
        type=int,
        metavar="N",
        help="review template: only the cloud's preset 10 is known here (default: every label)",
    )
    parser.add_argument(
        "--labels",
        metavar="LIST",
        help="comma-separated labels to review instead of the template's, or 'all' (the default)",
    )
    parser.add_argument(
        "--early-exit",
        action="store_true",
        help="stop each file at its first confident block (faster; reports that block, not every segment)",
    )
    parser.add_argument(
        "--budget",
        choices=tuple(BUDGETS),
        default=DEFAULT_BUDGET,
        help="how densely videos are sampled: fast, balanced (the default) or thorough (see 'budget' below)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per file, one per line")
    parser.add_argument("--html", type=Path, metavar="REPORT", help="also write a self-contained HTML report")
    add_data_dir(parser)
    parser.set_defaults(func=run)


@dataclass
class FileOutcome:
    """One file's result or error, as the report and the JSON lines need it."""

    path: Path
    labels: tuple[str, ...] = ()  # what was checked, in LABELS order
    result: ModerationResult | None = None
    kind: str = "media"  # media / image
    error: tuple[str, str] | None = None  # (Code, Message)
    seconds: float = 0.0
    known_match: KnownContentMatch | None = None  # the bank entry of the data dir it matched

    def to_json(self) -> dict[str, Any]:
        if self.error is not None:
            return {
                "Path": str(self.path),
                "Labels": list(self.labels),
                "Error": {"Code": self.error[0], "Message": self.error[1]},
            }
        assert self.result is not None
        res = self.result
        timed = self.kind == "media"
        return {
            "Path": str(self.path),
            "Labels": list(self.labels),
            "Suggestion": res.suggestion,
            "Label": res.label,
            "Form": res.form,
            "SegmentSet": wire.results.segment_set(res.segments, timed=timed),
            **({"KnownContentMatch": self.known_match} if self.known_match else {}),
        }


def is_image(path: Path) -> bool:
    """Whether the file is a still or animated picture (JPEG, PNG, GIF, BMP, WebP), by its first bytes."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _templates(args: argparse.Namespace) -> tuple[Template, Template]:
    """(media template, image template) from --template and --labels; ``ValueError`` names what is wrong."""
    if args.template is not None and args.template != PRESET_DEFINITION:
        raise ValueError(
            f"--template {args.template}: only the preset template {PRESET_DEFINITION} is known outside the "
            "server; choose labels with --labels instead"
        )
    if args.labels is not None:
        if not args.labels.strip():
            raise ValueError("--labels is empty: name labels (Porn,Ad,...) or 'all', or leave it out")
        chosen = labels_template(parse_labels(args.labels), definition=args.template or 0)
        media, image = chosen, chosen
    elif args.template == PRESET_DEFINITION:
        media, image = preset_template(), preset_template(image=True)
    else:  # a caption that sells or insults must not pass because nobody asked for Ad or Abuse
        everything = labels_template(LABELS)
        media, image = everything, everything
    media, image = (
        dataclasses.replace(t, early_exit=args.early_exit, budget=args.budget) for t in (media, image)
    )
    return media, image


def run(args: argparse.Namespace) -> int:
    """Moderate every path and print the results; the exit status is the worst outcome."""
    try:
        media_template, image_template = _templates(args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.html is not None:
        check_output_file(args.html, "--html")
    paths = media_files(args.paths)  # before the models load: a typo costs nothing
    from vodguard.services.engine_settings import engine_config

    settings = settings_from(args)
    # the server's engine settings (VODGUARD_*: sampling, models, custom models), with local-file limits;
    # a bad value raises SystemExit naming it, which the cli prints as one line (exit 4)
    config = engine_config(settings)
    # the server's caps on size and time hold here too; only ReviewImage's 5 MB wire limit does not
    limits = config.limits
    wider = dataclasses.replace(limits, max_image_bytes=max(CLI_MAX_IMAGE_BYTES, limits.max_image_bytes))
    config = dataclasses.replace(config, limits=wider)
    from vodguard.moderation.engine import Engine  # the engine pulls in numpy, PyAV, PIL: only when reviewing

    engine = Engine(config)
    bank = None
    if settings.has_database:  # the services behind the bank take a second to import: only when there is one
        from vodguard.services import known

        bank = known.local_bank(settings)  # the data directory's bank of known content, if it has an app
    show_progress = not args.json and sys.stderr.isatty()
    outcomes: list[FileOutcome] = []
    with _progress(show_progress) as track:
        for path in paths:
            try:
                outcome = _moderate(engine, path, media_template, image_template, track(path), bank)
            except ModelUnavailable as exc:  # a setting, not the file: no other file would fare better
                print(f"vodguard review: {exc}", file=sys.stderr)
                return EXIT_USAGE
            outcomes.append(outcome)
            if args.json:
                print(json.dumps(outcome.to_json(), ensure_ascii=False), flush=True)
    if not args.json:
        _print_summary(outcomes)
    if args.html:
        try:
            write_report(args.html, outcomes)
        except OSError as exc:  # checked before the work; the disk can still fill up or change meanwhile
            raise UsageError(f"--html {args.html} cannot be written: {exc.strerror}") from None
        if not args.json:
            print(f"report written to {args.html}")
    return exit_status(outcomes)


def exit_status(outcomes: list[FileOutcome]) -> int:
    """3 if any file failed, else the worst suggestion's rank (0 pass, 1 review, 2 block)."""
    if any(o.error is not None for o in outcomes):
        return EXIT_ERROR
    return max((SUGGESTION_RANK[o.result.suggestion] for o in outcomes if o.result is not None), default=0)


def checked(template: Template) -> tuple[str, ...]:
    """The template's labels in the canonical order."""
    return tuple(label for label in LABELS if label in template.labels)


def _moderate(
    engine: Any,
    path: Path,
    media: Template,
    image: Template,
    progress: Callable[[str, float], None] | None,
    bank: LocalBank | None = None,
) -> FileOutcome:
    start = time.perf_counter()
    outcome = FileOutcome(path=path, labels=checked(media))
    try:
        if path.is_dir():
            raise IsADirectoryError(f"{path}: is a folder, not a file")
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
        lookup = bank.lookup() if bank is not None else None
        if is_image(path):
            outcome.kind, outcome.labels = "image", checked(image)
            outcome.result = engine.moderate_image(path, image, known=lookup)
        else:
            outcome.result = engine.moderate_media(path, media, progress=progress, known=lookup)
        if bank is not None:
            outcome.known_match = bank.resolve(outcome.result)
    except ModelUnavailable:
        raise
    except ModerationError as exc:
        outcome.error = (exc.code, str(exc) or type(exc).__name__)
    except OSError as exc:
        outcome.error = ("SourceFileError", str(exc))
    outcome.seconds = time.perf_counter() - start
    return outcome


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[Path], Callable[[str, float], None] | None]]:
    """A factory of per-file progress callbacks drawing rich bars on stderr, or of ``None`` when disabled."""
    if not enabled:
        yield lambda _path: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    bars = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )

    def for_file(path: Path) -> Callable[[str, float], None]:
        for old in list(bars.task_ids):  # the previous file is done: its bars go
            bars.remove_task(old)
        tasks: dict[str, Any] = {}

        def update(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(f"{path.name} · {stage}", total=1.0)
            bars.update(tasks[stage], completed=fraction)

        return update

    with bars:
        yield for_file


def _print_summary(outcomes: list[FileOutcome]) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False, soft_wrap=True)
    colours = {"pass": "green", "review": "yellow", "block": "red"}
    for outcome in outcomes:
        name = escape(str(outcome.path))
        if outcome.error is not None:
            code, message = outcome.error
            console.print(f"[bold]{name}[/]  [magenta]ERROR[/] {escape(code)}: {escape(message)}")
            continue
        res = outcome.result
        assert res is not None
        head = f"[bold]{name}[/]  [{colours[res.suggestion]}]{res.suggestion.upper()}[/]"
        if res.suggestion != "pass":
            head += f"  {res.label}/{res.form}"
        if outcome.kind == "media" and res.duration > 0:
            head += (
                f"  ({res.duration:.1f} s in {outcome.seconds:.1f} s, {res.duration / outcome.seconds:.1f}x)"
            )
        head += f"  [dim]checked {','.join(outcome.labels)}[/]"
        console.print(head)
        for seg in res.segments:
            when = f"{clock(seg.start)}-{clock(seg.end)}  " if outcome.kind == "media" else ""
            line = (
                f"  {when}[{colours[seg.suggestion]}]{seg.suggestion:<6}[/] {seg.label:<7} {seg.form:<5} "
                f"{seg.confidence:5.1f}"
            )
            if seg.sub_label:
                line += f"  {escape(seg.sub_label)}"
            if seg.keywords:
                line += "  " + escape(f"[{', '.join(seg.keywords)}]")
            if seg.text:
                text = seg.text if len(seg.text) <= 80 else seg.text[:77] + "..."
                line += f'  "{escape(text)}"'
            console.print(line)
