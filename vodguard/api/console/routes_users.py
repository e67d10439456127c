"""People: the app's console accounts (admins only), listed, added and removed."""

from __future__ import annotations

from fastapi import APIRouter, Form
from fastapi.responses import Response

from vodguard.api.console import i18n, views
from vodguard.api.console.auth import Admin, AdminPost, ConsoleRoute, redirect
from vodguard.errors import InvalidParameterValue
from vodguard.services import audit, users
from vodguard.timeutil import utcnow

router = APIRouter(route_class=ConsoleRoute)


@router.get("/console/users")
def users_page(c: Admin) -> Response:
    with c.tx() as s:
        accounts = users.list_users(s, app_id=c.app_id)
    return views.render(
        c.request, "users.html", console=c, page="users", accounts=accounts, roles=users.ROLES,
        min_password=users.MIN_PASSWORD,
    )  # fmt: skip


@router.post("/console/users")
def add_user(
    c: AdminPost,
    name: str = Form(""),
    role: str = Form(""),
    password: str = Form(""),
    again: str = Form(""),
) -> Response:
    gettext = i18n.gettext_for(c.request)
    if password != again:
        raise InvalidParameterValue(
            gettext("The two passwords differ."), code="InvalidParameterValue.Password"
        )
    with c.tx() as s:
        user = users.add_user(
            s, app_id=c.app_id, name=name.strip(), role=role, password=password, now=utcnow()
        )
        audit.record(
            s,
            app_id=c.app_id,
            person=c.person,
            action="user.add",
            target=user.name,
            detail=user.role,
            now=utcnow(),
        )
    role_name = gettext("admin") if user.role == "admin" else gettext("moderator")
    message = gettext("%(name)s can now sign in as %(role)s.") % {"name": user.name, "role": role_name}
    return views.with_flash(c.request, redirect("/console/users"), message, "ok")


@router.post("/console/users/{name}/remove")
def remove_user(name: str, c: AdminPost) -> Response:
    with c.tx() as s:
        users.remove_user(s, app_id=c.app_id, name=name)
        audit.record(s, app_id=c.app_id, person=c.person, action="user.remove", target=name, now=utcnow())
    message = i18n.tr(c.request, "%(name)s was removed and is signed out.") % {"name": name}
    return views.with_flash(c.request, redirect("/console/users"), message, "ok")
