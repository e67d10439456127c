"""The web console over HTTP against a real server: sign-in, sessions, CSRF, the wall between apps, and decisions
taken in the console as the official SDK and the playback URLs see them."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import httpx
import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.vod.v20180717 import models

from tests.conftest import vod_client
from tests.paths import fixture_path
from tests.sdk import wait_finished
from tests.server import RunningServer, start_server
from vodguard.api.console.plot import Series, line_chart
from vodguard.services import apps
from vodguard.services.apps import KeyPair

TEXT_IMAGE = fixture_path("images/text.png")  # "add wechat abc123 for free porn": OCR finds Ad and Porn
CLEAN_IMAGE = fixture_path("images/shapes.png")


# Helpers (the browser test uses them too)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf" value="([^"]+)"', html
    )
    assert match, "the page carries no CSRF token"
    return match.group(1)


class Console:
    """An httpx client that signs in to the console and posts its forms with the page's CSRF token."""

    def __init__(self, server: RunningServer) -> None:
        self.http = httpx.Client(base_url=server.url, follow_redirects=False, timeout=30)

    def sign_in(self, **fields: str) -> httpx.Response:
        page = self.http.get("/console/login")
        return self.http.post("/console/login", data={"csrf": csrf_of(page.text), **fields})

    def sign_in_with(self, keys: KeyPair) -> Console:
        answer = self.sign_in(secret_id=keys.secret_id, secret_key=keys.secret_key)
        assert answer.status_code == 303, answer.text
        return self

    def get(self, path: str, **params: object) -> httpx.Response:
        return self.http.get(path, params=params or None)

    def token(self) -> str:
        return csrf_of(self.get("/console/queue").text)  # a page every role may open

    def post(self, path: str, data: dict | list | None = None, *, csrf: str | None = None) -> httpx.Response:
        pairs = list(data.items()) if isinstance(data, dict) else list(data or [])
        form: dict[str, list[str]] = {"csrf": [self.token() if csrf is None else csrf]}
        for name, value in pairs:  # repeated names (checkboxes) become lists
            form.setdefault(name, []).append(str(value))
        return self.http.post(path, data=form)

    def flash(self, answer: httpx.Response) -> str:
        """Follow a redirect and return the one-time message the page shows."""
        assert answer.status_code == 303, answer.text
        page = self.http.get(answer.headers["location"], follow_redirects=True)
        match = re.search(r'class="flash flash-(\w+)"[^>]*>([^<]*)<', page.text)
        return f"{match.group(1)}: {match.group(2)}" if match else ""


def basic_upload(server: RunningServer, keys: KeyPair, path: Path, **form: str) -> dict:
    token = base64.b64encode(f"{keys.secret_id}:{keys.secret_key}".encode()).decode()
    with path.open("rb") as f:
        answer = httpx.post(
            f"{server.url}/upload", data=form, files={"file": (path.name, f)},
            headers={"Authorization": f"Basic {token}"}, timeout=60,
        )  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.json()


def media_info(vod, file_id: str):
    req = models.DescribeMediaInfosRequest()
    req.FileIds, req.Filters = [file_id], ["basicInfo", "reviewInfo"]
    return vod.DescribeMediaInfos(req).MediaInfoSet[0]


def playback_status(vod, file_id: str) -> int:
    """What a viewer gets from a freshly signed playback URL."""
    return httpx.get(media_info(vod, file_id).BasicInfo.MediaUrl, timeout=30).status_code


def latest_task_id(console: Console, file_id: str) -> str:
    page = console.get("/console/tasks", file_id=file_id).text
    found = re.findall(r'data-task-id="([^"]+)"', page)
    assert found, page
    return found[0]


# Fixtures


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = start_server(tmp_path_factory.mktemp("data"), workers=1)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def keys_a(server):
    return server.new_key()


@pytest.fixture(scope="module")
def keys_b(server):
    return server.new_key()


@pytest.fixture(scope="module")
def vod_a(server, keys_a):
    return vod_client(server, keys_a.secret_id, keys_a.secret_key)


@pytest.fixture(scope="module")
def reviewed(server, keys_a, vod_a):
    """App A in pre-moderation with an Ad-only template whose thresholds send Ad to a person: two images
    reviewed through the console, both waiting in the queue."""
    console = Console(server).sign_in_with(keys_a)
    assert "pre-moderation" in console.flash(console.post("/console/settings/publishing", {"mode": "pre"}))
    created = console.post(
        "/console/settings/templates",
        [("name", "ads to people"), ("labels", "Ad"), ("review_Ad", "40"), ("block_Ad", "99")],
    )
    definition = int(re.search(r"#template-(\d+)", created.headers["location"]).group(1))
    files = [
        basic_upload(server, keys_a, TEXT_IMAGE, mediaName=name)["FileId"] for name in ("first", "second")
    ]
    for file_id in files:
        answer = console.post(f"/console/media/{file_id}/review", {"definition": definition, "priority": 3})
        assert answer.status_code == 303 and answer.headers["location"] == f"/console/tasks?file_id={file_id}"
    for file_id in files:
        detail = wait_finished(vod_a, latest_task_id(console, file_id))
        assert detail.ReviewAudioVideoTask.Output.Suggestion == "review", detail.to_json_string()
    return {"console": console, "definition": definition, "files": files}


# Sign-in and sessions


def test_console_pages_need_a_session(server):
    answer = httpx.get(f"{server.url}/console/queue?show=block", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/login?next=/console/queue%3Fshow%3Dblock"
    assert (
        httpx.post(f"{server.url}/console/media/1/decision", data={"decision": "approve"}).status_code == 401
    )


def test_sign_in_with_a_key_pair_sets_a_strict_http_only_cookie(server, keys_a):
    console = Console(server)
    refused = console.sign_in(secret_id=keys_a.secret_id, secret_key=keys_a.secret_key + "x")
    assert refused.status_code == 401 and "do not open any app" in refused.text
    assert "vg_console" not in refused.cookies
    answer = console.sign_in(secret_id=keys_a.secret_id, secret_key=keys_a.secret_key, next="/console/tasks")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/tasks"
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("vg_console="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path"} <= attributes
    assert "samesite=strict" in cookie.lower() and "path=/console" in cookie.lower()
    page = console.get("/console/queue")
    assert page.status_code == 200 and f"App {keys_a.sub_app_id}" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_sign_in_never_redirects_off_site(server, keys_a):
    console = Console(server)
    for target in ("https://evil.example/console", "//evil.example/console", "/console/../x"):
        answer = console.sign_in(secret_id=keys_a.secret_id, secret_key=keys_a.secret_key, next=target)
        assert answer.headers["location"].startswith("/console") and "evil" not in answer.headers["location"]


def test_sign_out_ends_the_session_even_for_a_copied_cookie(server, keys_a):
    console = Console(server).sign_in_with(keys_a)
    copied = dict(console.http.cookies)
    assert console.flash(console.post("/console/logout")) == "info: Signed out."
    assert console.get("/console/queue").status_code == 303
    thief = httpx.Client(base_url=server.url, cookies=copied, follow_redirects=False)
    assert thief.get("/console/queue").status_code == 303


def test_console_password_signs_in_and_changing_it_signs_out(server):
    keys = server.new_key()
    with server.services.db.transaction() as s:  # what `vodguard keys password --app N` does
        apps.set_console_password(s, app_id=keys.sub_app_id, password="correct horse battery")
    console = Console(server)
    wrong = console.sign_in(app_id=str(keys.sub_app_id), password="wrong horse battery")
    assert wrong.status_code == 401
    assert console.sign_in(app_id=str(keys.sub_app_id), password="correct horse battery").status_code == 303
    assert console.get("/console/settings").status_code == 200
    assert "at least 10" in console.flash(console.post("/console/settings/password", {"password": "short"}))
    changed = console.post(
        "/console/settings/password", {"password": "a new long one", "again": "a new long one"}
    )
    assert changed.status_code == 303
    assert console.get("/console/queue").status_code == 303  # the session of the old password is over
    assert console.sign_in(app_id=str(keys.sub_app_id), password="a new long one").status_code == 303


def test_revoking_the_sessions_key_signs_out_and_the_sdk_refuses_it(server):
    keys = server.new_key()
    console = Console(server).sign_in_with(keys)
    created = console.post("/console/settings/keys")
    assert created.status_code == 200 and "not shown again" in created.text
    new_id = re.search(r'id="new-secret-id">([^<]+)<', created.text).group(1)
    new_key = re.search(r'id="new-secret-key">([^<]+)<', created.text).group(1)
    fresh = vod_client(server, new_id, new_key)
    assert fresh.call_json("DescribeAppSettings", {})["Response"]["SubAppId"] == keys.sub_app_id
    # the confirmation of the session's own key says that it signs out; the other key's does not
    confirms = dict(re.findall(r'/console/settings/keys/(\w+)/revoke" data-confirm="([^"]+)"', created.text))
    assert "you will be signed out" in confirms[keys.secret_id]
    assert "signed out" not in confirms[new_id] and "stop working at once" in confirms[new_id]
    revoked = console.post(f"/console/settings/keys/{keys.secret_id}/revoke")
    assert revoked.status_code == 303
    assert console.get("/console/settings").status_code == 303
    with pytest.raises(TencentCloudSDKException) as err:
        vod_client(server, keys.secret_id, keys.secret_key).call_json("DescribeAppSettings", {})
    assert err.value.get_code() == "AuthFailure.SecretIdNotFound"


# CSRF


def test_forms_without_this_sessions_csrf_token_are_refused(server, keys_a, keys_b, vod_a, reviewed):
    file_id = reviewed["files"][0]
    console = reviewed["console"]
    other = Console(server).sign_in_with(keys_b)
    for token in ("", "forged", other.token()):
        answer = console.post(f"/console/media/{file_id}/decision", {"decision": "block"}, csrf=token)
        assert answer.status_code == 403 and "security token" in answer.text
    answer = console.http.post("/console/settings/publishing", data={"mode": "post"})
    assert answer.status_code == 403
    assert vod_a.call_json("DescribeAppSettings", {})["Response"]["PublishMode"] == "pre"
    assert media_info(vod_a, file_id).BasicInfo.Status == "Normal"
    assert vod_a.call_json("DescribeReviewDecisions", {"FileId": file_id})["Response"]["DecisionSet"] == []
    # The sign-in form is protected as well.
    bare = httpx.post(
        f"{server.url}/console/login", data={"secret_id": keys_a.secret_id, "secret_key": keys_a.secret_key}
    )
    assert bare.status_code == 403 and "vg_console" not in bare.cookies
    # Scripts send the token as a header.
    signed = console.http.post("/console/library/upload-signature", headers={"X-CSRF-Token": console.token()})
    assert signed.status_code == 200 and signed.json()["signature"]
    assert console.http.post("/console/library/upload-signature").status_code == 403


# The wall between apps


def test_another_apps_session_sees_and_touches_nothing_of_this_app(server, keys_b, vod_a, reviewed):
    file_id = reviewed["files"][0]
    task_id = latest_task_id(reviewed["console"], file_id)
    other = Console(server).sign_in_with(keys_b)
    assert file_id not in other.get("/console/queue", show="all").text
    assert file_id not in other.get("/console/library").text
    assert other.get("/console/library", file_id=file_id).text.count("data-file-id") == 0
    assert task_id not in other.get("/console/tasks").text
    assert other.get(f"/console/media/{file_id}").status_code == 404
    assert other.get(f"/console/media/{file_id}/file").status_code == 404
    evidence = f"/console/evidence/{task_id}/segments.json"
    assert reviewed["console"].get(evidence).status_code == 200 and other.get(evidence).status_code == 404
    decided = other.post(f"/console/media/{file_id}/decision", {"decision": "approve"})
    assert "does not exist" in other.flash(decided)
    started = other.post(f"/console/media/{file_id}/review", {"definition": 10})
    assert "does not exist" in other.flash(started)
    deleted = other.post(f"/console/media/{file_id}/delete")
    assert "does not exist" in other.flash(deleted)
    template = reviewed["definition"]
    changed = other.post(f"/console/settings/templates/{template}", [("labels", "Porn")])
    assert "does not exist" in other.flash(changed)
    assert vod_a.call_json("DescribeReviewDecisions", {"FileId": file_id})["Response"]["DecisionSet"] == []
    assert media_info(vod_a, file_id).BasicInfo.Name == "first"


# The queue, the evidence, and decisions


def test_queue_lists_what_needs_a_person_with_label_form_confidence_and_thumbnails(reviewed):
    console, files = reviewed["console"], reviewed["files"]
    page = console.get("/console/queue").text
    assert page.index(files[0]) < page.index(files[1])  # oldest first
    assert re.search(r'id="queue-total">2<', page)
    assert re.search(r"<b>Ad</b> 2", page)  # counts per label
    row = page[page.index(files[0]) :]
    assert ">OCR<" in row and ">review<" in row and re.search(r'class="num">\d+\.\d<', row)
    thumb = re.search(r'class="strip"><img src="([^"]+)"', row).group(1)
    image = console.get(thumb)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert console.get("/console/queue", show="block").text.count("data-href") == 0


def test_evidence_shows_the_text_with_keywords_and_the_template(reviewed):
    console, definition = reviewed["console"], reviewed["definition"]
    page = console.get(f"/console/media/{reviewed['files'][0]}").text
    assert "<mark>" in page and "wechat" in page.lower()
    assert f"{definition} · ads to people (Ad)" in page
    assert re.search(r'<rect class="box s-review"', page)  # the flagged area drawn on the image
    assert 'data-key="a"' in page and 'data-key="b"' in page and 'id="next-link" data-key="j"' in page


def test_the_console_serves_unpublished_media_that_viewers_cannot_play(vod_a, reviewed):
    console, file_id = reviewed["console"], reviewed["files"][0]
    assert playback_status(vod_a, file_id) == 403  # pre-moderation: a review result is not published
    part = console.http.get(f"/console/media/{file_id}/file", headers={"Range": "bytes=0-7"})
    assert part.status_code == 206 and part.content == TEXT_IMAGE.read_bytes()[:8]
    assert httpx.get(str(console.http.base_url) + f"/console/media/{file_id}/file").status_code == 303


def test_approve_publishes_and_block_forbids_as_the_sdk_sees_it(server, keys_a, vod_a, reviewed):
    console, (first, second) = reviewed["console"], reviewed["files"]
    approved = console.post(f"/console/media/{first}/decision", {"decision": "approve", "reason": "a joke"})
    assert approved.headers["location"] == f"/console/media/{second}?show=review"  # on to the next one
    assert "Approved (published): first." in console.flash(approved)
    info = media_info(vod_a, first)
    assert info.BasicInfo.Status == "Normal" and playback_status(vod_a, first) == 200
    blocked = console.post(f"/console/media/{second}/decision", {"decision": "block", "reason": "spam"})
    assert blocked.headers["location"] == "/console/queue?show=review"
    assert media_info(vod_a, second).BasicInfo.Status == "Forbidden" and playback_status(vod_a, second) == 403
    log = vod_a.call_json("DescribeReviewDecisions", {})["Response"]["DecisionSet"]
    operator = f"key:{keys_a.secret_id}"  # who decided: here the key pair the session was opened with
    assert [(d["FileId"], d["Decision"], d["Reason"], d["Operator"]) for d in log[:2]] == [
        (second, "block", "spam", operator), (first, "approve", "a joke", operator),
    ]  # fmt: skip
    assert re.search(r'id="queue-total">0<', console.get("/console/queue").text)
    assert second not in console.get("/console/queue", show="all").text  # decided media leave every queue
    assert "by " + operator in console.get(f"/console/media/{first}").text
    bad = console.post(f"/console/media/{first}/decision", {"decision": "maybe"})
    assert "must be approve or block" in console.flash(bad)


# Library, tasks, settings, dashboard


def test_library_searches_by_name_file_id_suggestion_label_and_date(server, keys_a, reviewed):
    console = reviewed["console"]
    clean = basic_upload(server, keys_a, CLEAN_IMAGE, mediaName="plain shapes")["FileId"]
    first, second = reviewed["files"]

    def found(**params: str) -> set[str]:
        return set(re.findall(r'data-file-id="(\d+)"', console.get("/console/library", **params).text))

    assert found(q="SHAPES") == {clean}
    assert found(file_id=first) == {first}
    assert found(suggestion="review") == {first, second}
    assert found(suggestion="none") == {clean}
    assert found(label="Ad") == {first, second} and found(label="Porn") == set()
    assert {first, second, clean} <= found(date_from="2000-01-01", date_to="2999-12-31")
    assert found(date_to="2000-01-01") == set()
    assert "must be a date" in console.get("/console/library", date_from="yesterday").text


def test_upload_signature_is_one_time_and_upload_lands_in_the_app(server, keys_a, vod_a, reviewed):
    console = reviewed["console"]
    signature = console.post("/console/library/upload-signature").json()["signature"]
    for expected in (200, 401):
        with CLEAN_IMAGE.open("rb") as f:
            answer = httpx.post(
                f"{server.url}/upload", data={"signature": signature, "mediaName": "from the browser"},
                files={"file": (CLEAN_IMAGE.name, f)},
            )  # fmt: skip
        assert answer.status_code == expected, answer.text
        if expected == 200:
            file_id = answer.json()["FileId"]
    assert media_info(vod_a, file_id).BasicInfo.Name == "from the browser"
    deleted = console.post(f"/console/media/{file_id}/delete")
    assert "Deleted from the browser." in console.flash(deleted)
    req = models.DescribeMediaInfosRequest()
    req.FileIds = [file_id]
    assert vod_a.DescribeMediaInfos(req).NotExistFileIdSet == [file_id]


def test_a_failed_task_says_why_in_plain_words(server, keys_a, vod_a, reviewed):
    console = reviewed["console"]
    broken = basic_upload(server, keys_a, fixture_path("bad/text.mp4"), mediaName="not a video")["FileId"]
    console.post(f"/console/media/{broken}/review", {"definition": reviewed["definition"]})
    assert (
        wait_finished(vod_a, latest_task_id(console, broken)).ReviewAudioVideoTask.ErrCodeExt
        == "SourceFileError"
    )
    row = console.get("/console/tasks", file_id=broken).text
    assert ">SourceFileError<" in row and "could not be read as media" in row
    # its status reads as a failure, not as the wire's neutral FINISH
    assert '<span class="pill st-failed">Failed</span>' in row and 'class="pill st-finish"' not in row


def test_tasks_list_filters_by_status_and_shows_results(reviewed):
    console, first = reviewed["console"], reviewed["files"][0]
    finished = console.get("/console/tasks", status="FINISH").text
    assert finished.count("data-task-id") >= 2 and ">review<" in finished
    assert console.get("/console/tasks", status="WAITING").text.count("data-task-id") == 0
    assert console.get("/console/tasks", file_id=first).text.count("data-task-id") == 1


def test_settings_change_templates_procedures_and_events_as_the_sdk_sees_them(vod_a, reviewed):
    console, definition = reviewed["console"], reviewed["definition"]
    bad = console.post(f"/console/settings/templates/{definition}", [("labels", "Ad"), ("review_Ad", "90"), ("block_Ad", "50")])  # fmt: skip
    assert "0 ≤ review ≤ block ≤ 100" in console.flash(bad)
    saved = console.post(
        f"/console/settings/templates/{definition}",
        [("name", "ads"), ("labels", "Ad"), ("labels", "Porn"), ("review_Porn", "20"), ("block_Porn", "30")],
    )
    assert "saved" in console.flash(saved)
    req = models.DescribeReviewTemplatesRequest()
    req.Definitions = [definition]
    template = vod_a.DescribeReviewTemplates(req).ReviewTemplateSet[0]
    assert template.Name == "ads" and sorted(template.Labels) == ["Ad", "Porn"]
    page = console.get("/console/settings").text
    assert 'name="review_Porn" inputmode="decimal" value="20.0"' in page
    assert 'name="review_Ad" inputmode="decimal" value=""' in page  # thresholds left empty use the defaults

    made = console.post("/console/settings/procedures", {"name": "check-ads", "definition": str(definition)})
    assert "created" in console.flash(made)
    procs = vod_a.DescribeProcedureTemplates(models.DescribeProcedureTemplatesRequest()).ProcedureTemplateSet
    assert [(p.Name, p.ReviewAudioVideoTask.Definition) for p in procs] == [("check-ads", definition)]
    in_use = console.post(f"/console/settings/templates/{definition}/delete")
    assert "used by procedure template" in console.flash(in_use)
    assert "deleted" in console.flash(console.post("/console/settings/procedures/check-ads/delete"))

    events = console.post(
        "/console/settings/events",
        {
            "mode": "PUSH",
            "notification_url": "https://app.example/hook",
            "sign_key": "abc123",
            "upload_switch": "1",
        },
    )
    assert "saved" in console.flash(events)
    config = vod_a.DescribeEventConfig(models.DescribeEventConfigRequest())
    assert (config.Mode, config.NotificationUrl, config.UploadMediaCompleteEventSwitch) == (
        "PUSH", "https://app.example/hook", "ON",
    )  # fmt: skip
    assert config.DeleteMediaCompleteEventSwitch == "OFF"
    wrong = console.post("/console/settings/events", {"mode": "PUSH", "notification_url": "ftp://x"})
    assert "NotificationUrl" in console.flash(wrong)


def test_settings_add_edit_and_remove_a_custom_label(vod_a, reviewed):
    from tests.custom_examples import CRYPTO

    console = reviewed["console"]
    blank_row = [("custom_labels_form", "1"), ("custom-0-label", "Porn"), ("custom-0-sub_label", ""), ("custom-0-examples", "")]  # fmt: skip
    created = console.post("/console/settings/templates", [("name", "scams"), ("labels", "Ad"), *blank_row])
    definition = int(re.search(r"#template-(\d+)", created.headers["location"]).group(1))

    def save(label: str, name: str, examples: list[str], *extra: tuple[str, str]) -> str:
        row = [
            ("custom-0-label", label),
            ("custom-0-sub_label", name),
            ("custom-0-examples", "\n".join(examples)),
        ]
        fields = [("labels", "Ad"), ("custom_labels_form", "1"), *row, *extra]
        return console.flash(console.post(f"/console/settings/templates/{definition}", fields))

    def custom_labels() -> list:
        answer = vod_a.call_json("DescribeReviewTemplates", {"Definitions": [definition]})["Response"]
        return answer["ReviewTemplateSet"][0].get("CustomLabels", [])

    assert custom_labels() == []  # the empty row of the new form adds nothing
    assert save("Ad", "Crypto", ["buy coins", "", "pump tonight", "moon soon"]) == (
        "error: Custom label 1: the examples must hold 20 to 500 different examples (got 3)"
    )
    assert "error: Custom label 1: the label Porn is not one of the template" in save(
        "Porn", "Crypto", list(CRYPTO)
    )
    assert "error: Custom label 1: the name" in save("Ad", "crypto scams", list(CRYPTO))
    assert "saved" in save(
        "Ad", "Crypto", ["  " + CRYPTO[0] + "  ", "", *CRYPTO[1:]]
    )  # blank lines and edges trimmed
    assert custom_labels() == [{"Label": "Ad", "SubLabel": "Crypto", "Examples": list(CRYPTO)}]
    page = console.get("/console/settings").text
    assert 'name="custom-0-sub_label" value="Crypto"' in page and CRYPTO[-1] in page
    assert 'name="custom-1-sub_label" value=""' in page  # and a blank row for another one

    assert "saved" in save("Ad", "Crypto", list(CRYPTO), ("custom-0-remove", "1"))
    assert custom_labels() == []


def test_dashboard_plots_activity_and_reports_queue_depth_and_throughput(reviewed):
    page = reviewed["console"].get("/console/dashboard").text
    assert page.count('<svg class="chart"') == 2 and "<polyline" in page
    assert re.search(r'id="queue-depth">0<', page)
    assert re.search(r'id="throughput">—<', page)  # images have no duration: nothing to measure yet
    assert reviewed["console"].get("/console/dashboard", range="30d").status_code == 200


def test_line_chart_scales_to_a_round_maximum():
    svg = str(line_chart([Series("uploads", [0, 3, 7], "s-uploads")], ["a", "b", "c"], title="t"))
    assert svg.count("<polyline") == 1 and ">10<" in svg  # 7 rounds up to a grid top of 10
    points = re.search(r'points="([^"]+)"', svg).group(1).split()
    assert len(points) == 3 and float(points[0].split(",")[1]) > float(points[2].split(",")[1])


def test_huge_numbers_in_console_paths_and_forms_are_typed_errors(reviewed):
    console, file_id = reviewed["console"], reviewed["files"][0]
    huge = str(2**63)
    # the form's own message on the page it came from, never the API's JSON error
    for path in (f"/console/settings/templates/{huge}", f"/console/settings/templates/{huge}/delete"):
        shown = console.flash(console.post(path, [("labels", "Porn")]))
        assert shown == f"error: Template {huge} is out of range.", (path, shown)
    review = console.post(f"/console/media/{file_id}/review", {"definition": huge, "priority": "0"})
    assert console.flash(review) == f"error: Template {huge} is out of range."
    typed = console.post(f"/console/media/{file_id}/review", {"definition": "10", "priority": "high"})
    assert html.unescape(console.flash(typed)) == "error: Priority must be a whole number; 'high' is not one."
    assert console.get("/console/library", page=10**30).status_code == 200
    page = console.get("/console/library", page="two")
    assert page.status_code == 400 and "Page must be a whole number; &#39;two&#39; is not one." in page.text


def test_settings_set_a_templates_budget_as_the_api_sees_it(vod_a, reviewed):
    console = reviewed["console"]
    created = console.post(
        "/console/settings/templates", [("name", "quick"), ("labels", "Ad"), ("budget", "fast")]
    )
    definition = int(re.search(r"#template-(\d+)", created.headers["location"]).group(1))

    def budget() -> str | None:
        answer = vod_a.call_json("DescribeReviewTemplates", {"Definitions": [definition]})["Response"]
        return answer["ReviewTemplateSet"][0].get("Budget")

    assert budget() == "fast"
    page = console.get("/console/settings").text
    form = page[page.index(f'id="template-{definition}"') :]
    assert '<option value="fast" selected>' in form[: form.index("</form>")]
    saved = console.post(
        f"/console/settings/templates/{definition}", [("labels", "Ad"), ("budget", "thorough")]
    )
    assert "saved" in console.flash(saved) and budget() == "thorough"
    refused = console.post(
        f"/console/settings/templates/{definition}", [("labels", "Ad"), ("budget", "quick")]
    )
    assert "Budget must be one of fast, balanced, thorough" in console.flash(refused)
    assert budget() == "thorough"
