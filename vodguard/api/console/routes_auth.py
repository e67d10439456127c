"""Sign-in (a person's account, an app's key pair, or its console password), sign-out, and the console's static
files."""

from __future__ import annotations

import mimetypes
import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from vodguard.api.client_address import client_address
from vodguard.api.console import i18n, views
from vodguard.api.console.auth import (
    Console,
    ConsoleRoute,
    Refused,
    SignedInPost,
    check_login_csrf,
    redirect,
    same_site_path,
)
from vodguard.api.console.session import COOKIE, LIFETIME, PRE_COOKIE, ConsoleSession, Signer, signer
from vodguard.digits import parse_digits
from vodguard.errors import ResourceNotFound, VodError
from vodguard.services import apps, signins, users
from vodguard.services.container import Services
from vodguard.timeutil import from_unix, utcnow

router = APIRouter(route_class=ConsoleRoute)
STATIC = views.HERE / "static"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


@router.get("/console")
@router.get("/console/")
def console_home() -> Response:
    return redirect("/console/queue")


@router.get("/console/login")
def login_page(request: Request, next: str = "") -> Response:
    seed = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(16)
    response = views.render(
        request,
        "login.html",
        console=None,
        csrf=signer(request).csrf_token(seed),
        next=same_site_path(next),
        error="",
    )
    response.set_cookie(
        PRE_COOKIE,
        seed,
        max_age=3600,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


def _lockout_subject(request: Request, services: Services, secret_id: str, app_id: str, name: str) -> str:
    """The account being tried (the SecretId, else the SubAppId and name) and the client's address."""
    number = parse_digits(app_id.strip())  # "007" and "7" are one account: no fresh counter per spelling
    account = f"app:{app_id.strip() if number is None else number}"
    if name.strip():
        account += f":user:{name.strip()}"
    if secret_id.strip():
        account = f"key:{secret_id.strip()}"
    address = client_address(request, services.settings.trusted_networks)
    return signins.subject(account=account, address=address)


def _locked(services: Services, subject: str) -> bool:
    with services.db.transaction() as s:
        return signins.locked(s, subject=subject, now=utcnow())


def _record_failure(services: Services, subject: str) -> None:
    with services.db.transaction() as s:
        signins.record_failure(s, subject=subject, now=utcnow())


def _authenticate(
    services: Services, sign: Signer, secret_id: str, secret_key: str, app_id: str, name: str, password: str
) -> ConsoleSession | None:
    with services.db.transaction() as s:
        if secret_id:
            try:
                app, key = apps.authenticate_key(
                    s, secret_id=secret_id.strip(), secret_key=secret_key.strip(), now=utcnow()
                )
            except VodError:
                return None
            return sign.new_session(
                app_id=app.id,
                method="key",
                secret_id=key.secret_id,
                credential=apps.console_credential(app, key),
            )
        number = parse_digits(app_id.strip())
        if number is None or not password:
            return None
        try:
            app = apps.get_app(s, number)
        except VodError:
            return None
        if name.strip():
            user = users.authenticate(s, app_id=app.id, name=name.strip(), password=password)
            if user is None:
                return None
            return sign.new_session(
                app_id=app.id, method="user", secret_id=str(user.id), credential=users.credential(user)
            )
        if not apps.check_console_password(app, password):
            return None
        return sign.new_session(
            app_id=app.id, method="password", secret_id="", credential=apps.console_credential(app, None)
        )


@router.post("/console/login", dependencies=[Depends(check_login_csrf)])
async def login(
    request: Request,
    secret_id: str = Form(""),
    secret_key: str = Form(""),
    app_id: str = Form(""),
    name: str = Form(""),
    password: str = Form(""),
    next: str = Form(""),
) -> Response:
    services: Services = request.app.state.services
    sign = signer(request)
    # Locked per account and address (audit D9): even the right credentials wait, or guessing would go on.
    subject = _lockout_subject(request, services, secret_id, app_id, name)
    if await run_in_threadpool(_locked, services, subject):
        gettext = i18n.gettext_for(request)
        raise Refused(
            429,
            gettext(
                "Too many failed sign-ins to this account from this address. Wait a minute and try again."
            ),
        )
    session = await run_in_threadpool(
        _authenticate, services, sign, secret_id, secret_key, app_id, name, password
    )
    if session is None:
        await run_in_threadpool(_record_failure, services, subject)
        seed = request.cookies.get(PRE_COOKIE, "")
        return views.render(
            request, "login.html", http_status=401, console=None, csrf=sign.csrf_token(seed), next=same_site_path(next),
            error=i18n.gettext_for(request)(
                "Those credentials do not open any app. Check the SecretId and SecretKey, or the SubAppId and password."
            ),
            secret_id=secret_id, app_id=app_id, name=name,
        )  # fmt: skip
    response = redirect(same_site_path(next, "/console/queue"))
    response.set_cookie(
        COOKIE, sign.session_cookie(session), max_age=LIFETIME, path="/console", httponly=True,
        samesite="strict", secure=_secure(request),
    )  # fmt: skip
    response.delete_cookie(PRE_COOKIE, path="/console")
    return response


def _end(c: Console) -> None:
    with c.tx() as s:
        apps.end_console_session(s, sid=c.session.sid, expires_at=from_unix(c.session.expires))


@router.post("/console/logout")
async def logout(request: Request, c: SignedInPost) -> Response:
    """Sign out: the session id is remembered as ended, so even a copied cookie stops working."""
    await run_in_threadpool(_end, c)
    response = redirect("/console/login")
    response.delete_cookie(COOKIE, path="/console")
    return views.with_flash(request, response, i18n.tr(request, "Signed out."))


@router.get("/console/language/{tag}")
def choose_language(tag: str, next: str = "") -> Response:
    """The header's language switch: remembered in a cookie for a year, then back to the page it came from."""
    response = redirect(same_site_path(next, "/console/queue"))
    if tag in i18n.LANGUAGES:
        response.set_cookie(i18n.LANG_COOKIE, tag, max_age=365 * 86400, path="/console", samesite="lax")
    return response


@router.get("/console/static/{name}")
def static(request: Request, name: str) -> Response:
    path = STATIC / name
    # Only plain file names that exist in the static folder: no path parts, no dot files.
    if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
        raise ResourceNotFound(i18n.tr(request, "No such static file."))
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"})
