"""A small line chart rendered server-side as inline SVG (no JavaScript, no chart library)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 34


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    css: str  # a class name; the stylesheet gives it a colour


@dataclass(frozen=True)
class Tick:
    """An x-axis label: its UTC text, and the UTC time with its kind for console.js to write it in local time."""

    text: str
    at: datetime | None = None
    kind: str = ""  # "hour", "day-hour" or "day"


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 × 10^n at or above ``value`` (at least 1), so grid labels are round."""
    if value <= 1:
        return 1.0
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def line_chart(series: Sequence[Series], x_ticks: Sequence[Tick | str], *, title: str) -> Markup:
    """An SVG line chart of ``series`` over ``x_ticks`` (every few are printed), with a legend."""
    ticks = [t if isinstance(t, Tick) else Tick(t) for t in x_ticks]
    x_labels = [t.text for t in ticks]
    points = max((len(s.values) for s in series), default=0)
    top = _nice_ceiling(max((max(s.values, default=0) for s in series), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(points - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def when(i: int) -> str:
        """A point's bucket for its tooltip; times say they are UTC, since the tooltip is not rewritten."""
        if i >= len(ticks):
            return ""
        return f"{ticks[i].text} UTC" if ticks[i].at is not None else ticks[i].text

    def y(v: float) -> float:
        return TOP + plot_h - (v / top) * plot_h

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for k in range(5):
        value = top * k / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value:g}</text>'
        )
    every = max(1, round(len(x_labels) / 8))
    for i, tick in enumerate(ticks):
        if i % every == 0 or i == len(ticks) - 1:
            local = (
                f' data-utc="{tick.at.strftime("%Y-%m-%dT%H:%M:%S")}Z" data-kind="{escape(tick.kind)}"'
                if tick.at is not None
                else ""
            )
            parts.append(
                f'<text class="tick" x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle"{local}>'
                f"{escape(tick.text)}</text>"
            )
    for s in series:
        if not s.values:
            continue
        coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(s.values))
        parts.append(f'<polyline class="line {escape(s.css)}" fill="none" points="{coords}"/>')
        for i, v in enumerate(s.values):
            if v:
                parts.append(
                    f'<circle class="dot {escape(s.css)}" cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5">'
                    f"<title>{escape(s.name)}: {v:g} ({escape(when(i))})</title>"
                    "</circle>"
                )
    for n, s in enumerate(series):
        lx = LEFT + n * 120
        parts.append(f'<rect class="key {escape(s.css)}" x="{lx}" y="{HEIGHT - 12}" width="10" height="10"/>')
        parts.append(f'<text class="legend" x="{lx + 14}" y="{HEIGHT - 3}">{escape(s.name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
