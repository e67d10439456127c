"""A console for a team: per-person accounts with roles (made in the console and by ``vodguard users``), roles
enforced on every console route, and sign-in by name and password beside the key pair."""

from __future__ import annotations

import html
import json
import subprocess
import sys

import pytest
from fastapi.routing import APIRoute

from tests.server import start_server
from tests.test_console import Console
from vodguard.api.console import auth
from vodguard.services import users


def console_routes() -> list[APIRoute]:
    """Every route of the console's router, through the routers it includes."""
    from vodguard.api.console import router

    found: list[APIRoute] = []
    pending = list(router.routes)
    while pending:
        route = pending.pop()
        if isinstance(route, APIRoute):
            found.append(route)
        elif getattr(route, "original_router", None) is not None:  # FastAPI's wrapper of an included router
            pending.extend(route.original_router.routes)
    assert len(found) > 20
    return found


def vodguard(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vodguard", *args], input=stdin, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = start_server(tmp_path_factory.mktemp("data"), background=False, workers=0)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def keys(server):
    return server.new_key()


@pytest.fixture(scope="module")
def admin(server, keys):
    return Console(server).sign_in_with(keys)


def person(server, keys, name: str, password: str) -> Console:
    console = Console(server)
    answer = console.sign_in(app_id=str(keys.sub_app_id), name=name, password=password)
    assert answer.status_code == 303, answer.text
    return console


@pytest.fixture(scope="module")
def moderator(server, keys, admin):
    answer = admin.post(
        "/console/users",
        {"name": "mia", "role": "moderator", "password": "queue-only-42", "again": "queue-only-42"},
    )
    assert admin.flash(answer) == "ok: mia can now sign in as moderator."
    return person(server, keys, "mia", "queue-only-42")


# Passwords


def test_passwords_are_salted_scrypt_hashes_that_only_the_password_opens():
    first, second = users.hash_password("correct horse"), users.hash_password("correct horse")
    assert first.startswith("scrypt$32768$8$1$") and first != second  # a fresh salt each time
    assert users.check_password(first, "correct horse") and users.check_password(second, "correct horse")
    assert not users.check_password(first, "correct horsf")
    assert not users.check_password("pbkdf2$x$y", "correct horse")  # malformed: refused, not a crash


# Accounts from the command line


def test_users_add_list_remove_from_the_command_line(tmp_path):
    data = str(tmp_path)
    created = vodguard("keys", "create", "--json", "--data-dir", data)
    assert created.returncode == 0, created.stderr
    added = vodguard("users", "add", "ann", "--role", "admin", "--password-stdin", "--data-dir", data,
                     stdin="long enough pw\n")  # fmt: skip
    assert added.returncode == 0 and added.stdout.startswith("added ann (admin) to app "), added.stderr
    listed = vodguard("users", "list", "--json", "--data-dir", data)
    assert [(u["Name"], u["Role"]) for u in json.loads(listed.stdout)] == [("ann", "admin")]
    again = vodguard("users", "add", "ann", "--role", "moderator", "--password-stdin", "--data-dir", data,
                     stdin="long enough pw\n")  # fmt: skip
    assert again.returncode == 2 and "Name 'ann' is already an account" in again.stderr
    removed = vodguard("users", "remove", "ann", "--data-dir", data)
    assert removed.returncode == 0 and vodguard("users", "list", "--data-dir", data).stdout == ""
    assert "is not an account" in vodguard("users", "remove", "ann", "--data-dir", data).stderr


@pytest.mark.parametrize(
    ("args", "stdin", "needle"),
    [
        (
            ("users", "add", "bo", "--role", "admin", "--password-stdin"),
            "short\n",
            "Password must have at least 10",
        ),
        (
            ("users", "add", "a b", "--role", "admin", "--password-stdin"),
            "long enough pw\n",
            "Name 'a b' must be",
        ),
    ],
)
def test_users_add_refuses_a_bad_name_or_password_before_any_work(tmp_path, args, stdin, needle):
    done = vodguard(*args, "--data-dir", str(tmp_path / "none"), stdin=stdin)
    assert done.returncode == 4 and needle in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "none").exists()


def test_users_add_with_several_apps_asks_which(tmp_path):
    for _ in range(2):
        vodguard("keys", "create", "--data-dir", str(tmp_path))
    done = vodguard("users", "add", "cy", "--role", "admin", "--password-stdin", "--data-dir", str(tmp_path),
                    stdin="long enough pw\n")  # fmt: skip
    assert done.returncode == 2 and "name one with --app SUBAPPID" in done.stderr


# Accounts in the console


def test_an_admin_adds_a_moderator_who_signs_in_by_name(server, keys, admin, moderator):
    page = admin.get("/console/users").text
    assert 'data-user="mia"' in page and "role-moderator" in page
    queue = moderator.get("/console/queue")
    assert queue.status_code == 200 and "mia · moderator" in queue.text
    assert 'href="/console/settings"' not in queue.text  # no link to what the role cannot open


def test_a_wrong_password_or_name_does_not_sign_in(server, keys, moderator):
    console = Console(server)
    for name, password in (("mia", "queue-only-43"), ("nobody", "queue-only-42")):
        answer = console.sign_in(app_id=str(keys.sub_app_id), name=name, password=password)
        assert answer.status_code == 401


def test_bad_account_fields_are_named_in_the_message(admin):
    cases = [
        (
            {"name": "x y", "role": "moderator", "password": "long enough pw", "again": "long enough pw"},
            "Name 'x y'",
        ),
        (
            {"name": "zed", "role": "owner", "password": "long enough pw", "again": "long enough pw"},
            "Role 'owner'",
        ),
        ({"name": "zed", "role": "moderator", "password": "short", "again": "short"}, "Password must have"),
        (
            {"name": "zed", "role": "moderator", "password": "long enough pw", "again": "other pw 123"},
            "differ",
        ),
    ]
    for form, needle in cases:
        message = html.unescape(admin.flash(admin.post("/console/users", form)))
        assert message.startswith("error: ") and needle in message


def test_a_moderator_is_refused_every_admin_route(server, moderator):
    admin_routes = [
        r
        for r in console_routes()
        if {d.call for d in r.dependant.dependencies} & {auth.admin, auth.admin_post}
    ]
    paths = {r.path for r in admin_routes}
    assert {
        "/console/settings",
        "/console/settings/keys",
        "/console/users",
        "/console/media/{file_id}/delete",
    } <= paths
    token = moderator.token()
    for route in admin_routes:
        path = route.path.format(file_id="1", definition="10", name="x", secret_id="x")
        for method in route.methods:
            answer = moderator.http.request(method, path, data={"csrf": token} if method == "POST" else None)
            assert answer.status_code == 403, (method, path, answer.status_code)
            assert "Only an admin" in answer.text


def test_every_console_route_checks_the_session():
    public = {"/console", "/console/", "/console/login", "/console/static/{name}"}
    sessions = {auth.signed_in, auth.signed_in_post, auth.admin, auth.admin_post}
    for route in console_routes():
        if route.path not in public:
            assert {d.call for d in route.dependant.dependencies} & sessions, route.path


def test_removing_an_account_signs_its_sessions_out(server, keys, admin):
    admin.post(
        "/console/users",
        {"name": "tmp", "role": "admin", "password": "short lived 1", "again": "short lived 1"},
    )
    gone = person(server, keys, "tmp", "short lived 1")
    assert gone.get("/console/settings").status_code == 200
    assert admin.flash(admin.post("/console/users/tmp/remove")) == "ok: tmp was removed and is signed out."
    assert gone.get("/console/settings").status_code == 303  # back to the sign-in page
