"""Rendering: the Jinja2 environment, its filters, flash messages, and the error page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from vodguard.api.console import i18n
from vodguard.api.console.session import FLASH_COOKIE, signer
from vodguard.errors import InvalidParameterValue
from vodguard.services.templates import LABELS

HERE = Path(__file__).parent
ENV = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
# Every console string goes through _() / gettext. The null translations are only a fallback for a render without
# a request; render() passes the request language's gettext callables in the context, which take precedence.
ENV.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
# Every label, for the review form (included by several pages) to name what a template leaves out.
ENV.globals["all_labels"] = LABELS
SECURITY_HEADERS = {
    # Everything the console loads is its own: scripts, styles, media and thumbnails.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; media-src 'self'; "
    "style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def highlight(text: str, keywords: list[str] | tuple[str, ...] | None) -> Markup:
    """``text`` escaped, with every keyword (case-insensitive) wrapped in ``<mark>``."""
    words = sorted({k for k in (keywords or []) if k}, key=len, reverse=True)
    if not words or not text:
        return escape(text or "")
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(str(escape(text[last : match.start()])))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def when(value: datetime | str | None) -> Markup:
    """A stored (naive UTC) time, or the API's ISO form of one (``2025-01-31T08:00:00Z``), as a ``<time>``
    element: console.js shows it in the browser's time zone and keeps the UTC time as its tooltip; without
    JavaScript the UTC time shows, marked as such."""
    if isinstance(value, str):
        value = datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S") if value else None
    if value is None:
        return Markup("—")
    utc = value.strftime("%Y-%m-%d %H:%M:%S")
    return Markup('<time datetime="{}Z" title="{} UTC">{} UTC</time>').format(
        value.strftime("%Y-%m-%dT%H:%M:%S"), utc, utc
    )


def clock(seconds: float | None) -> str:
    """Seconds as m:ss.s (or h:mm:ss for long media)."""
    if seconds is None:
        return "—"
    seconds = max(float(seconds), 0.0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{int(hours)}:{int(minutes):02d}:{int(secs):02d}"
    return f"{int(minutes)}:{secs:04.1f}"


def size(value: int | None) -> str:
    number = float(value or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if number < 1024 or unit == "GB":
            return f"{number:.0f} {unit}" if unit == "B" else f"{number:.1f} {unit}"
        number /= 1024
    return f"{number:.1f} GB"


def thumb_name(url: str) -> str:
    """The evidence file name in a segment's signed thumbnail URL (its last path part)."""
    return urlsplit(url or "").path.rsplit("/", 1)[-1]


ENV.filters.update(
    highlight=highlight, when=when, clock=clock, size=size, thumb_name=thumb_name, term=i18n.term
)


def read_flash(request: Request) -> dict[str, str] | None:
    token = request.cookies.get(FLASH_COOKIE, "")
    payload = signer(request).loads("flash", token) if token else None
    if not payload:
        return None
    return {"message": str(payload.get("m", "")), "kind": str(payload.get("k", "info"))}


def with_flash(request: Request, response: Response, message: str, kind: str = "info") -> Response:
    """Attach a one-time message shown by the next page."""
    token = signer(request).dumps("flash", {"m": message[:500], "k": kind})
    response.set_cookie(FLASH_COOKIE, token, max_age=60, path="/console", httponly=True, samesite="strict")
    return response


def render(
    request: Request, page_template: str, /, *, http_status: int = 200, **context: Any
) -> HTMLResponse:
    """A page: the template with the request, the flash message (consumed), and security headers."""
    flash = read_flash(request)
    page = ENV.get_template(page_template)
    html = page.render(request=request, flash=flash, **i18n.template_context(request), **context)
    # Vary: the same URL answers in the language of the cookie or of Accept-Language.
    headers = {
        **SECURITY_HEADERS,
        "Content-Language": i18n.language_of(request),
        "Vary": "Accept-Language, Cookie",
    }
    response = HTMLResponse(html, status_code=http_status, headers=headers)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/console")
    return response


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(
        request, "error.html", http_status=status, status_code=status, message=message, console=None
    )


def form_day(value: str, field: str, gettext: Callable[[str], str]) -> datetime | None:
    """A filter form's ``YYYY-MM-DD`` as a date (None when empty); ``field`` is the field as the page labels it
    (already translated), so the error names it."""
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        message = gettext("%(field)s %(value)r must be a date like 2025-01-31.")
        raise InvalidParameterValue(message % {"field": field, "value": value}) from None
