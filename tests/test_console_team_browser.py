"""The team console in a real browser (Playwright driving Debian's Chromium): an admin creates a moderator; the
moderator signs in, decides on a queued item with a preset reason, and cannot open keys, settings, people or the
audit log; the admin finds the decision under the moderator's name in the audit log, and copies a new key's
secret from the top of the settings page.

Set ``VODGUARD_SCREENSHOTS=1`` to refresh ``docs/screenshots/people.png`` and ``audit.png`` from this run.
"""

from __future__ import annotations

import re

import pytest
from tencentcloud.vod.v20180717 import models

from tests.conftest import vod_client
from tests.sdk import wait_finished
from tests.server import start_server
from tests.test_console import TEXT_IMAGE, Console, basic_upload
from tests.test_console_browser import (  # noqa: F401 - fixtures shared with the first browser test
    browser,
    shots,
    sign_in_with_key,
)

PASSWORD = "mia's long password"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = start_server(tmp_path_factory.mktemp("data"), workers=1)
    yield running
    running.stop()


def queued_image(server, keys) -> str:
    """An image whose review asks a person (an Ad-only template that never blocks by itself)."""
    setup = Console(server).sign_in_with(keys)
    created = setup.post(
        "/console/settings/templates",
        [("name", "ads to people"), ("labels", "Ad"), ("review_Ad", "10"), ("block_Ad", "99")],
    )
    definition = int(re.search(r"#template-(\d+)", created.headers["location"]).group(1))
    file_id = basic_upload(server, keys, TEXT_IMAGE, mediaName="poster")["FileId"]
    vod = vod_client(server, keys.secret_id, keys.secret_key)
    req = models.ReviewAudioVideoRequest()
    req.FileId, req.Definition = file_id, definition
    assert (
        wait_finished(vod, vod.ReviewAudioVideo(req).TaskId).ReviewAudioVideoTask.Output.Suggestion
        == "review"
    )
    return file_id


def test_an_admin_makes_a_moderator_whose_decision_the_audit_log_names(server, browser, shots):  # noqa: F811
    keys = server.new_key()
    image = queued_image(server, keys)
    base = server.url
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    page.set_default_timeout(20_000)

    # The admin (key pair) adds a moderator on the People page.
    sign_in_with_key(page, base, keys)
    page.click("nav a:has-text('People')")
    page.wait_for_url(f"{base}/console/users")
    form = page.locator("#new-user form")
    form.locator("input[name=name]").fill("mia")
    form.locator("select[name=role]").select_option("moderator")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("input[name=again]").fill(PASSWORD)
    form.locator("button:has-text('Add')").click()
    page.wait_for_selector(".flash:has-text('mia can now sign in as moderator')")
    assert page.locator("tr[data-user=mia] .role-moderator").count() == 1
    shots(page, "people")
    page.click("button:has-text('Sign out')")
    page.wait_for_url(f"{base}/console/login")

    # The moderator signs in by SubAppId, name and password, and sees only the queue's side of the console.
    page.fill("input[name=app_id]", str(keys.sub_app_id))
    page.fill("input[name=name]", "mia")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{base}/console/queue")
    assert page.locator(".who .person").inner_text() == "mia · moderator"
    assert page.locator("nav a:has-text('Settings')").count() == 0
    assert page.locator("nav a:has-text('Audit log')").count() == 0
    assert page.locator("[data-tab=review]").inner_text() == "1"

    # She opens the queued image, picks a preset reason, and blocks it.
    page.click(f"a.open[href^='/console/media/{image}']")
    page.wait_for_url(re.compile(rf".*/console/media/{image}\?show=review"))
    page.click("button[data-reason='Advertising or contact details']")
    assert page.input_value("#reason") == "Advertising or contact details"
    page.click("button.block[name=decision]")
    page.wait_for_selector(".flash:has-text('Blocked')")
    assert page.locator("[data-tab=review]").inner_text() == "0"

    # Keys, settings, people and the audit log are refused by the server, whatever the browser asks for.
    for path in ("/console/settings", "/console/users", "/console/audit", "/console/audit.csv"):
        answer = page.goto(f"{base}{path}")
        assert answer is not None and answer.status == 403 and "Only an admin" in page.content(), path
    page.goto(f"{base}/console/queue")
    page.click("button:has-text('Sign out')")
    page.wait_for_url(f"{base}/console/login")

    # The admin finds the decision under mia's name.
    sign_in_with_key(page, base, keys)
    page.click("nav a:has-text('Audit log')")
    page.wait_for_url(f"{base}/console/audit")
    page.select_option("select[name=person]", "mia")
    page.click("button:has-text('Filter')")
    page.wait_for_url(re.compile(r".*/console/audit\?person=mia.*"))
    rows = page.locator("tr.audit-row")
    assert rows.count() == 1
    cells = [rows.first.locator("td").nth(i).inner_text() for i in range(1, 5)]
    assert cells == ["mia", "decision.block", image, "Advertising or contact details"]
    with page.expect_download() as download:
        page.click("#audit-csv")
    exported = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert len(exported) == 2 and exported[1].endswith(
        f",mia,decision.block,{image},Advertising or contact details"
    )
    page.select_option("select[name=person]", "")
    page.click("button:has-text('Filter')")
    page.wait_for_selector("tr.audit-row >> nth=2")
    shots(page, "audit")

    # A new key's secret is at the top of the page it lands on, and its button copies it.
    page.goto(f"{base}/console/settings#keys")
    page.fill("#keys input[name=name]", "web backend")
    page.click("#keys button:has-text('Create a key')")
    page.wait_for_selector("#new-key")
    box = page.locator("#new-secret-key").bounding_box()
    assert box is not None and 0 <= box["y"] < 800  # visible without scrolling
    page.click("#copy-secret-key")
    page.wait_for_selector("#copy-secret-key.copied")
    secret = page.locator("#new-secret-key").inner_text()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    context.close()
