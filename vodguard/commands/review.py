"""``vodguard review PATH...``: moderate local files with the engine, no server needed.

Exit status: 0 when every file passes, 1 when the worst is review, 2 when the worst is block, 3 when a file
could not be moderated (unreadable, over a limit), 4 on a bad option or engine setting (a model that is missing
or will not load).
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import json
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup, escape

from vodguard.commands.common import EXIT_USAGE, UsageError, add_data_dir, settings_from
from vodguard.commands.paths import check_output_file, media_files
from vodguard.moderation.errors import ModelUnavailable, ModerationError
from vodguard.moderation.presets import PRESET_DEFINITION, labels_template, parse_labels, preset_template
from vodguard.moderation.types import FORMS, LABELS, SUGGESTION_RANK, ModerationResult, Template

EXIT_ERROR = 3
CLI_MAX_IMAGE_BYTES = 64 << 20  # ReviewImage's 5 MB is a wire limit; a local file may be bigger

_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM")

_EPILOG = """\
labels:
  By default every label is checked: Porn, Terror, Polity, Ad, Illegal, Abuse, Moan.
  --labels Porn,Ad,Abuse checks only those. --template 10 gives the cloud's preset, the only template
  outside the server: Porn, Terror, Polity and Moan in audio/video, Porn, Terror and Polity in images.
  Every output names the labels it checked (Labels in --json).

engine settings:
  The server's VODGUARD_* engine variables apply here too: VODGUARD_FRAME_INTERVAL, VODGUARD_OCR_INTERVAL,
  VODGUARD_VIDEO_TILES, VODGUARD_ASR_MODEL, VODGUARD_CUSTOM_MODELS_FILE and the others in the README.

examples:
  vodguard review clip.mp4 photo.jpg                  # every label; a verdict line per file
  vodguard review uploads/ --json > results.jsonl     # folders are searched recursively for media files
  vodguard review clip.mp4 --labels Porn,Ad --html report.html
  vodguard review clip.mp4 --template 10 --early-exit

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
            "SegmentSet": res.all_segments_wire(timed=timed),
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
    if args.early_exit:
        media, image = (dataclasses.replace(t, early_exit=True) for t in (media, image))
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
    show_progress = not args.json and sys.stderr.isatty()
    outcomes: list[FileOutcome] = []
    with _progress(show_progress) as track:
        for path in paths:
            try:
                outcome = _moderate(engine, path, media_template, image_template, track(path))
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
    engine: Any, path: Path, media: Template, image: Template, progress: Callable[[str, float], None] | None
) -> FileOutcome:
    start = time.perf_counter()
    outcome = FileOutcome(path=path, labels=checked(media))
    try:
        if path.is_dir():
            raise IsADirectoryError(f"{path}: is a folder, not a file")
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
        if is_image(path):
            outcome.kind, outcome.labels = "image", checked(image)
            outcome.result = engine.moderate_image(path, image)
        else:
            outcome.result = engine.moderate_media(path, media, progress=progress)
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


def _clock(seconds: float) -> str:
    minutes, sec = divmod(max(0.0, seconds), 60)
    return f"{int(minutes):02d}:{sec:04.1f}"


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
            when = f"{_clock(seg.start)}-{_clock(seg.end)}  " if outcome.kind == "media" else ""
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


# --- the HTML report ------------------------------------------------------------------------------------


def highlight(text: str, keywords: Iterable[str]) -> Markup:
    """``text`` HTML-escaped, with every occurrence of a keyword (any case) wrapped in ``<mark>``."""
    words = sorted({k for k in keywords if k}, key=len, reverse=True)  # longest first: "ab" wins over "a"
    if not text or not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out = Markup()
    pos = 0
    for match in pattern.finditer(text):
        out += (
            escape(text[pos : match.start()]) + Markup("<mark>") + escape(match.group()) + Markup("</mark>")
        )
        pos = match.end()
    return out + escape(text[pos:])


def _report_file(outcome: FileOutcome) -> dict[str, Any]:
    base: dict[str, Any] = {"path": str(outcome.path), "seconds": outcome.seconds, "labels": outcome.labels}
    if outcome.error is not None:
        return {**base, "error": {"Code": outcome.error[0], "Message": outcome.error[1]}}
    res = outcome.result
    assert res is not None
    timed = outcome.kind == "media"
    thumbs = {e.name: e for e in res.evidence}
    segments = []
    for seg in res.segments:
        evidence = thumbs.get(seg.thumbnail)
        uri = ""
        if evidence is not None:
            uri = f"data:{evidence.content_type};base64,{base64.b64encode(evidence.data).decode('ascii')}"
        span = max(res.duration, 1e-9)
        segments.append(
            {
                "when": f"{_clock(seg.start)}-{_clock(seg.end)}",
                "left": round(100 * min(seg.start, span) / span, 3),
                "width": round(max(0.4, 100 * (seg.end - seg.start) / span), 3),
                "suggestion": seg.suggestion,
                "label": seg.label,
                "sub_label": seg.sub_label,
                "form": seg.form,
                "confidence": f"{seg.confidence:.1f}",
                "thumbnail": uri,
                "text": highlight(seg.text, seg.keywords),
                "keywords": ", ".join(seg.keywords),
            }
        )
    # one timeline lane per label and form, so that segments of different kinds never hide each other
    kinds = sorted({(s["label"], s["form"]) for s in segments}, key=lambda k: (FORMS.index(k[1]), k[0]))
    lanes = [
        {
            "name": f"{label} · {form}",
            "segments": [s for s in segments if (s["label"], s["form"]) == (label, form)],
        }
        for label, form in kinds
    ]
    return {
        **base,
        "error": None,
        "suggestion": res.suggestion,
        "label": res.label,
        "form": res.form,
        "timed": timed,
        "duration": res.duration,
        "duration_clock": _clock(res.duration),
        "segments": segments,
        "lanes": lanes,
    }


def render_report(outcomes: list[FileOutcome]) -> str:
    """One self-contained HTML page (inline CSS, thumbnails as data URIs) for all the outcomes."""
    source = resources.files("vodguard.commands").joinpath("report.html").read_text(encoding="utf-8")
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    counts: dict[str, int] = {}
    for o in outcomes:
        key = "error" if o.error is not None else o.result.suggestion if o.result else "error"
        counts[key] = counts.get(key, 0) + 1
    totals = [(name, counts[name]) for name in ("pass", "review", "block", "error") if name in counts]
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    labels = [label for label in LABELS if any(label in o.labels for o in outcomes)]
    return env.from_string(source).render(
        files=[_report_file(o) for o in outcomes], totals=totals, generated=generated, labels=labels
    )


def write_report(path: Path, outcomes: list[FileOutcome]) -> None:
    """Write the HTML report to ``path`` (through a temporary file, so a failed run leaves no half report)."""
    html = render_report(outcomes)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
