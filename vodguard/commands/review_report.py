"""The HTML report of ``vodguard review --html``: one self-contained page (inline CSS, thumbnails as data URIs)
with a timeline per file, rendered from ``report.html``."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from vodguard.moderation.types import FORMS, LABELS

if TYPE_CHECKING:
    from vodguard.commands.review import FileOutcome


def clock(seconds: float) -> str:
    """``mm:ss.s``, as the report and the text summary show times."""
    minutes, sec = divmod(max(0.0, seconds), 60)
    return f"{int(minutes):02d}:{sec:04.1f}"


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
                "when": f"{clock(seg.start)}-{clock(seg.end)}",
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
        "duration_clock": clock(res.duration),
        "segments": segments,
        "lanes": lanes,
    }


def render_report(outcomes: list[FileOutcome]) -> str:
    """One self-contained HTML page (inline CSS, thumbnails as data URIs) for all the outcomes."""
    source = resources.files("vodguard.commands").joinpath("report.html").read_text(encoding="utf-8")
    from jinja2 import Environment  # only when a report is asked for (see cli.py)

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
