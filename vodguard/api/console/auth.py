"""Who is asking: the session behind a console request, its role, CSRF checks, and the route class that turns
refusals into redirects or readable error pages.

Every console route takes a ``Console`` from ``signed_in`` (reads) or ``signed_in_post`` (writes, CSRF-checked),
or from ``admin`` / ``admin_post`` when only an admin may use it. The session is re-validated against the database
on every request: a revoked key, a changed password or role, or a removed account signs out.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from vodguard.api.bodylimit import BodyTooLarge, bounded
from vodguard.api.console import i18n, views
from vodguard.api.console.session import COOKIE, PRE_COOKIE, ConsoleSession, Signer, signer
from vodguard.errors import ResourceNotFound, VodError
from vodguard.services import apps, users
from vodguard.services.container import Services

CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


class SignInNeeded(Exception):
    """No valid session: the browser is sent to the sign-in page."""


class Refused(Exception):
    """A request the console will not serve; shown as a small error page with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Console:
    """A signed-in request: the session, its app (as read now), and the services."""

    request: Request
    services: Services
    session: ConsoleSession
    app_id: int
    app_name: str
    publish_mode: str
    csrf: str
    role: str  # admin or moderator
    person: str  # the name decisions and changes are recorded under

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @contextmanager
    def tx(self) -> Iterator[Session]:
        with self.services.db.transaction() as s:
            yield s


@dataclass(frozen=True)
class _Found:
    app_name: str
    publish_mode: str
    role: str
    person: str


def _validate(services: Services, sign: Signer, session: ConsoleSession) -> _Found | None:
    with services.db.transaction() as s:
        try:
            app = apps.get_app(s, session.app_id)
            key = apps.find_key(s, session.secret_id) if session.method == "key" else None
        except VodError:  # the app is gone, or the key was revoked
            return None
        if apps.console_session_ended(s, sid=session.sid):
            return None
        if session.method == "user":
            user = users.get_user(
                s, app_id=app.id, user_id=int(session.secret_id) if session.secret_id.isdigit() else 0
            )
            if user is None:  # removed
                return None
            credential, role, person = users.credential(user), user.role, user.name
        elif key is not None:
            if key.app_id != app.id:
                return None
            # Key-pair sign-in stays an admin's: whoever holds the key can call every API action anyway.
            credential, role, person = apps.console_credential(app, key), "admin", f"key:{key.secret_id}"
        elif session.method == "password" and app.console_password:
            credential, role, person = apps.console_credential(app, None), "admin", "app-password"
        else:
            return None
        if not hmac.compare_digest(sign.fingerprint(credential), session.fingerprint):
            return None
        return _Found(app.name, app.publish_mode, role, person)


async def signed_in(request: Request) -> Console:
    """The console context of a signed-in request; raises ``SignInNeeded`` otherwise."""
    sign = signer(request)
    session = sign.read_session(request.cookies.get(COOKIE, ""))
    if session is None:
        raise SignInNeeded
    services: Services = request.app.state.services
    found = await run_in_threadpool(_validate, services, sign, session)
    if found is None:
        raise SignInNeeded
    return Console(
        request, services, session, session.app_id, found.app_name, found.publish_mode,
        sign.csrf_token(session.sid), found.role, found.person,
    )  # fmt: skip


async def csrf_token_sent(request: Request) -> str:
    if CSRF_HEADER in request.headers:
        return request.headers[CSRF_HEADER]
    form = await request.form()
    value = form.get(CSRF_FIELD, "")
    return value if isinstance(value, str) else ""


async def signed_in_post(request: Request) -> Console:
    """Like ``signed_in``, and the request must carry this session's CSRF token (form field or header)."""
    console = await signed_in(request)
    if not signer(request).check_csrf(console.session.sid, await csrf_token_sent(request)):
        gettext = i18n.gettext_for(request)
        raise Refused(
            403, gettext("The form's security token is missing or stale. Reload the page and try again.")
        )
    return console


async def check_login_csrf(request: Request) -> None:
    """The sign-in form is CSRF-protected too, with a token tied to an anonymous cookie."""
    seed = request.cookies.get(PRE_COOKIE, "")
    if not signer(request).check_csrf(seed, await csrf_token_sent(request)):
        gettext = i18n.gettext_for(request)
        raise Refused(403, gettext("The sign-in form's security token is missing or stale. Reload the page."))


def _admin_only(console: Console) -> Console:
    if not console.is_admin:
        gettext = i18n.gettext_for(console.request)
        raise Refused(403, gettext("Only an admin of this app may open this page or make this change."))
    return console


async def admin(request: Request) -> Console:
    """Like ``signed_in``, for an admin only (moderators get a 403 page)."""
    return _admin_only(await signed_in(request))


async def admin_post(request: Request) -> Console:
    """Like ``signed_in_post``, for an admin only."""
    return _admin_only(await signed_in_post(request))


SignedIn = Annotated[Console, Depends(signed_in)]
SignedInPost = Annotated[Console, Depends(signed_in_post)]
Admin = Annotated[Console, Depends(admin)]
AdminPost = Annotated[Console, Depends(admin_post)]


def same_site_path(target: str | None, default: str = "/console") -> str:
    """``target`` if it is a path inside the console, else ``default`` (never redirect off-site)."""
    if not target:
        return default
    parts = urlsplit(target)
    path = parts.path
    if not path.startswith("/console") or "//" in path or "\\" in target:
        return default
    return path + (f"?{parts.query}" if parts.query else "")


def _back(request: Request) -> str:
    """Where a refused form returns: the page it came from, else the section it belongs to."""
    path = request.url.path
    sections = ("/console/settings", "/console/users", "/console/queue")
    section = next((s for s in sections if path.startswith(s)), "/console/library")
    return same_site_path(request.headers.get("referer"), section)


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


class ConsoleRoute(APIRoute):
    """Turns ``SignInNeeded`` into a redirect, ``Refused`` into an error page, and a ``VodError`` from a service
    into a flash message on the page the form came from (POST) or a 404/400 page (GET). Forms are read whole, so
    the body is read under ``VODGUARD_MAX_BODY_BYTES``; past it the answer is a 413 page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            gettext = i18n.gettext_for(request)
            try:
                services: Services = request.app.state.services
                return await original(bounded(request, services.settings.max_body_bytes))
            except BodyTooLarge as exc:
                message = gettext("The form is larger than %(limit)s bytes (VODGUARD_MAX_BODY_BYTES).")
                return views.error_page(request, 413, message % {"limit": exc.limit})
            except SignInNeeded:
                if request.method != "GET":
                    return views.error_page(request, 401, gettext("You are signed out. Sign in again."))
                wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return redirect(f"/console/login?next={quote(wanted)}")
            except Refused as exc:
                return views.error_page(request, exc.status, exc.message)
            except RequestValidationError as exc:
                # A typed field (a number that is not one): the form's own message, as for a service's refusal,
                # not the API's JSON error. Sign-in and CSRF are checked before the fields, so this comes after.
                message = i18n.validation_message(request, exc.errors())
                if request.method == "GET":
                    return views.error_page(request, 400, message)
                return views.with_flash(request, redirect(_back(request)), message, "error")
            except VodError as exc:
                if request.method == "GET":
                    status = 404 if isinstance(exc, ResourceNotFound) else 400
                    return views.error_page(request, status, i18n.service_message(request, exc))
                return views.with_flash(
                    request, redirect(_back(request)), i18n.service_message(request, exc), "error"
                )

        return handler
