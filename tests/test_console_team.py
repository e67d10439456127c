"""A console for a team: per-person accounts with roles (made in the console and by ``vodguard users``), roles
enforced on every console route, sign-in by name and password beside the key pair, and the audit log that names
the person behind every decision and change."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.routing import APIRoute
from tencentcloud.vod.v20180717 import models

from tests.conftest import vod_client
from tests.sdk import wait_finished
from tests.server import start_server
from tests.test_console import CLEAN_IMAGE, TEXT_IMAGE, Console, basic_upload, latest_task_id
from vodguard.api.console import auth
from vodguard.config import Settings
from vodguard.services import apps, audit, users
from vodguard.services.container import open_services
from vodguard.timeutil import utcnow


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
    running = start_server(tmp_path_factory.mktemp("data"), workers=1)
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
    services = open_services(Settings(data_dir=tmp_path))
    try:
        with services.db.transaction() as s:
            app_id = json.loads(created.stdout)["SubAppId"]
            _, entries = audit.search(s, app_id=app_id, query=audit.AuditQuery(person="cli"))
            assert [(e.action, e.target) for e in entries] == [
                ("user.remove", "ann"), ("user.add", "ann"), ("key.create", json.loads(created.stdout)["SecretId"]),
            ]  # fmt: skip
    finally:
        services.close()


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
        (("users", "add", "cy", "--role", "owner"), "", "invalid choice: 'owner'"),
        (
            ("users", "add", "CLI", "--role", "admin", "--password-stdin"),
            "long enough pw\n",
            "Name 'CLI' is reserved",
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
    assert queue.status_code == 200 and 'title="mia">mia</span> · moderator' in queue.text
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
    # the language switch sets a cookie and redirects to a same-site path, signed in or not (the sign-in page has it)
    public = {"/console", "/console/", "/console/login", "/console/static/{name}", "/console/language/{tag}"}
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


# The audit log


@pytest.fixture(scope="module")
def uploaded(server, keys):
    return [basic_upload(server, keys, CLEAN_IMAGE, mediaName=f"pic {i}")["FileId"] for i in range(2)]


def audit_rows(console: Console, **filters: str) -> list[tuple[str, str, str, str]]:
    page = console.get("/console/audit", **filters)
    assert page.status_code == 200, page.text
    rows = re.findall(
        r'<tr class="audit-row"[^>]*>\s*<td[^>]*><time [^>]*>[^<]*</time></td>\s*<td class="person"[^>]*>([^<]*)</td>\s*'
        r"<td><code[^>]*>([^<]*)</code></td>\s*<td>(?:<a[^>]*>)?<code>([^<]*)</code>(?:</a>)?</td>\s*<td>([^<]*)</td>",
        page.text,
    )
    return [tuple(html.unescape(v) for v in row) for row in rows]


def test_a_moderators_decision_is_logged_under_their_name(admin, moderator, uploaded):
    answer = moderator.post(
        f"/console/media/{uploaded[0]}/decision", {"decision": "block", "reason": "=cmd|' /C calc'!A0"}
    )
    assert answer.status_code == 303
    assert audit_rows(admin, person="mia") == [("mia", "decision.block", uploaded[0], "=cmd|' /C calc'!A0")]
    assert " by mia: “" in admin.get(f"/console/media/{uploaded[0]}").text  # the media's own history


def test_settings_and_people_changes_are_logged_under_the_person(server, keys, admin, moderator):
    created = admin.post("/console/settings/templates", [("name", "audited"), ("labels", "Ad")])
    definition = re.search(r"#template-(\d+)", created.headers["location"]).group(1)
    admin.post("/console/settings/keys")
    rows = audit_rows(admin, person=f"key:{keys.secret_id}")
    assert (f"key:{keys.secret_id}", "template.create", definition, "audited") in rows
    assert any(r[1] == "key.create" for r in rows)
    assert (f"key:{keys.secret_id}", "user.add", "mia", "moderator") in rows
    assert {r[1] for r in audit_rows(admin, action="key")} == {"key.create"}


def test_api_changes_are_logged_under_the_key(server, keys, admin):
    vod = vod_client(server, keys.secret_id, keys.secret_key)
    req = models.CreateReviewTemplateRequest()
    req.Name, req.Labels = "from the api", ["Porn"]
    definition = vod.CreateReviewTemplate(req).Definition
    rows = audit_rows(admin, action="template.create")
    assert (f"key:{keys.secret_id}", "template.create", str(definition), "CreateReviewTemplate") in rows


def test_the_audit_log_filters_by_day_and_names_a_bad_date(admin, moderator, uploaded):
    moderator.post(f"/console/media/{uploaded[1]}/decision", {"decision": "approve"})
    today = datetime.now(UTC).date()
    assert len(audit_rows(admin, action="decision", date_from=str(today), date_to=str(today))) >= 2
    assert audit_rows(admin, date_to=str(today - timedelta(days=1))) == []
    bad = admin.get("/console/audit", date_from="31/01/2025")
    assert bad.status_code == 400 and "From &#39;31/01/2025&#39; must be a date" in bad.text
    assert admin.get("/console/audit", action="drop.tables").status_code == 400


def test_the_audit_log_exports_the_filtered_rows_as_csv(admin, uploaded):
    answer = admin.get("/console/audit.csv", person="mia")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == ["time_utc", "person", "action", "target", "detail"]
    assert [r[1:] for r in rows[1:]] == [
        ["mia", "decision.approve", uploaded[1], ""],
        ["mia", "decision.block", uploaded[0], "'=cmd|' /C calc'!A0"],  # no formula for a spreadsheet to run
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r[0]) for r in rows[1:])


# The queue, decisions in bulk, the library and keys


def review_with(server, keys, admin, *, block: str, names: tuple[str, ...]) -> list[str]:
    """Images reviewed under an Ad-only template whose block threshold is ``block``; their FileIds once done."""
    created = admin.post(
        "/console/settings/templates",
        [("name", f"ads block at {block}"), ("labels", "Ad"), ("review_Ad", "10"), ("block_Ad", block)],
    )
    definition = re.search(r"#template-(\d+)", created.headers["location"]).group(1)
    files = [basic_upload(server, keys, TEXT_IMAGE, mediaName=name)["FileId"] for name in names]
    vod = vod_client(server, keys.secret_id, keys.secret_key)
    for file_id in files:
        admin.post(f"/console/media/{file_id}/review", {"definition": definition})
    for file_id in files:
        wait_finished(vod, latest_task_id(admin, file_id))
    return files


@pytest.fixture(scope="module")
def queued(server, keys, admin):
    """One image blocked by its review, and two waiting for review."""
    blocked = review_with(server, keys, admin, block="20", names=("auto blocked",))
    waiting = review_with(server, keys, admin, block="99", names=("ad one", "ad two"))
    return {"blocked": blocked, "waiting": waiting}


def tab_counts(page: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-tab="(\w+)">(\d+)<', page)}


def test_queue_tabs_count_and_an_empty_tab_points_to_blocks_waiting(admin, queued):
    page = admin.get("/console/queue").text
    assert tab_counts(page) == {"review": 2, "block": 1, "all": 3}
    assert 'id="blocks-waiting"' not in page  # items wait here: no pointer elsewhere
    answer = admin.post("/console/queue/decision", [("decision", "approve"), ("file_id", queued["waiting"][0]),
                                                     ("file_id", queued["waiting"][1]), ("reason", "Spam")])  # fmt: skip
    assert admin.flash(answer) == "ok: Approved (published): 2 media."
    page = admin.get("/console/queue").text
    assert tab_counts(page) == {"review": 0, "block": 1, "all": 1}
    assert "Nothing waits for a decision here." in page
    pointer = re.search(r'<p class="empty-next" id="blocks-waiting">(.*?)</p>', page, re.S).group(1)
    assert "1 automatic blocks wait" in pointer and 'href="/console/queue?show=block"' in pointer


def test_bulk_decisions_are_logged_per_media_and_are_all_or_nothing(admin, queued):
    rows = audit_rows(admin, action="decision.approve")
    for file_id in queued["waiting"]:
        assert (f"key:{admin_secret(admin)}", "decision.approve", file_id, "Spam") in rows
    nothing = html.unescape(admin.flash(admin.post("/console/queue/decision", {"decision": "block"})))
    assert nothing == "error: Tick at least one media in the queue first."
    mixed = admin.post("/console/queue/decision", [("decision", "block"), ("file_id", queued["blocked"][0]),
                                                    ("file_id", "1234")])  # fmt: skip
    assert (
        admin.flash(mixed).startswith("error: ")
        and tab_counts(admin.get("/console/queue").text)["block"] == 1
    )


def admin_secret(admin: Console) -> str:
    return re.search(
        r'class="person"><span [^>]*>key:(\w+)</span> ·', admin.get("/console/queue").text
    ).group(1)


def test_the_evidence_page_offers_preset_reasons(admin, queued):
    page = admin.get(f"/console/media/{queued['blocked'][0]}").text
    assert '<datalist id="preset-reasons">' in page and 'list="preset-reasons"' in page
    assert 'data-reason="Advertising or contact details"' in page
    assert 'id="bulk-form"' in admin.get("/console/queue", show="block").text


def test_the_library_shows_a_thumbnail_per_media(admin, queued):
    page = admin.get("/console/library").text
    file_id = queued["blocked"][0]
    assert f'<img class="lib-thumb" src="/console/media/{file_id}/file"' in page
    picture = admin.get(f"/console/media/{file_id}/file")
    assert picture.status_code == 200 and picture.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_new_key_has_a_name_its_secret_on_top_with_a_copy_button_and_a_last_use(server, admin):
    page = admin.post("/console/settings/keys", {"name": "web backend"})
    assert page.status_code == 200
    text = page.text
    assert text.index('id="new-key"') < text.index('id="publishing"')  # where the page lands
    assert (
        'data-copy="#new-secret-key"' in text and "<script>" not in text
    )  # CSP: the copying is in console.js
    secret_id = re.search(r'id="new-secret-id">(\w+)<', text).group(1)
    secret_key = re.search(r'id="new-secret-key">(\w+)<', text).group(1)
    row = re.search(rf'<tr data-secret-id="{secret_id}">(.*?)</tr>', text, re.S).group(1)
    assert '"key-name">web backend<' in row and '"sub key-used">never<' in row
    vod_client(server, secret_id, secret_key).DescribeReviewTemplates(models.DescribeReviewTemplatesRequest())
    row = re.search(
        rf'<tr data-secret-id="{secret_id}">(.*?)</tr>', admin.get("/console/settings").text, re.S
    )
    assert re.search(r'"sub key-used"><time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"', row.group(1))
    assert ("key.create", secret_id, "web backend") in [r[1:] for r in audit_rows(admin, action="key.create")]


def test_a_keys_last_use_is_written_at_most_once_a_minute(server):
    pair = server.new_key()
    start = utcnow()
    with server.services.db.transaction() as s:
        seen = [apps.authenticate_key(s, secret_id=pair.secret_id, secret_key=pair.secret_key, now=start + step)[1]
                .last_used_at for step in (timedelta(0), timedelta(seconds=59), timedelta(seconds=61))]  # fmt: skip
    assert seen == [start, start, start + timedelta(seconds=61)]


def test_the_evidence_header_says_what_vodguard_suggested_and_who_decided(admin, queued):
    def status_line(file_id: str) -> str:
        page = admin.get(f"/console/media/{file_id}").text
        line = re.search(r'<p class="status-line">(.*?)</p>', page, re.S)
        assert line, "the evidence page has no status line"
        return html.unescape(re.sub(r"<[^>]+>", "", line.group(1))).strip()

    blocked = queued["blocked"][0]
    assert status_line(blocked) == "vodguard suggested block; no one has decided yet."
    admin.post(f"/console/media/{blocked}/decision", {"decision": "block", "reason": "confirmed"})
    line = status_line(blocked)
    assert line.startswith(f"vodguard suggested block; key:{admin_secret(admin)} decided block, "), line
