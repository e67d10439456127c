"""The console in a real browser (Playwright driving Debian's Chromium): a moderator signs in, sets up a template,
uploads a video, starts its review, watches it finish, reads the evidence and decides with the keyboard; the SDK
and the playback URLs confirm the decisions.

Set ``VODGUARD_SCREENSHOTS=1`` to refresh ``docs/screenshots/`` (one PNG per page) from this run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from tencentcloud.vod.v20180717 import models

from tests.conftest import vod_client
from tests.paths import fixture_path
from tests.sdk import wait_finished
from tests.server import start_server
from tests.test_console import TEXT_IMAGE, basic_upload, media_info, playback_status

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).parent.parent / "docs" / "screenshots"
VIDEO = fixture_path("text_video.mp4")  # captions "add wechat abc123 for free porn" at 4-8 s and 12-16 s

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)
if not CHROMIUM.exists():
    pytest.skip("Debian's Chromium is not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = start_server(tmp_path_factory.mktemp("data"), workers=1)
    yield running
    running.stop()


def sign_in_with_key(page, base: str, keys) -> None:
    """Sign in to the console with a key pair; lands on the queue."""
    page.goto(f"{base}/console/login")
    page.fill("input[name=secret_id]", keys.secret_id)
    page.fill("input[name=secret_key]", keys.secret_key)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{base}/console/queue")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path):
    """Where this run's screenshots go: docs/screenshots when asked to refresh them, else a temporary folder."""
    target = SHOTS if os.environ.get("VODGUARD_SCREENSHOTS") == "1" else tmp_path
    target.mkdir(parents=True, exist_ok=True)

    def shoot(page, name: str) -> None:
        from PIL import Image

        path = target / f"{name}.png"
        page.screenshot(path=str(path))
        # A 128-colour palette keeps each picture small enough to live in the repository.
        Image.open(path).convert("RGB").quantize(colors=128).save(path, optimize=True)

    return shoot


def test_a_moderator_reviews_and_decides_in_the_browser(server, browser, shots):
    keys = server.new_key()
    vod = vod_client(server, keys.secret_id, keys.secret_key)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.set_default_timeout(20_000)
    base = server.url

    # Sign in: any console page sends an anonymous visitor to the sign-in form first.
    page.goto(f"{base}/console/queue")
    assert page.url.startswith(f"{base}/console/login")
    shots(page, "login")
    page.fill("input[name=secret_id]", keys.secret_id)
    page.fill("input[name=secret_key]", keys.secret_key)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{base}/console/queue")

    # Settings: pre-moderation, and a template that sends ads to a person.
    page.goto(f"{base}/console/settings")
    page.check("#publishing input[value=pre]")
    page.click("#publishing button:has-text('Save')")
    page.wait_for_selector(".flash:has-text('pre-moderation')")
    form = page.locator("#new-template form")
    form.locator("input[name=name]").fill("ads to people")
    form.locator("input[name=labels][value=Ad]").check()
    form.locator("button:has-text('Create template')").click()
    page.wait_for_selector(".flash:has-text('created')")
    definition = int(re.search(r"#template-(\d+)", page.url).group(1))
    page.goto(f"{base}/console/settings")
    shots(page, "settings")

    # A second media arrives through the API (an image, quick to review) while the moderator works.
    image = basic_upload(server, keys, TEXT_IMAGE, mediaName="poster")["FileId"]
    req = models.ReviewAudioVideoRequest()
    req.FileId, req.Definition = image, definition
    image_task = vod.ReviewAudioVideo(req).TaskId

    # Upload a video from the browser, then start its review with the new template and a priority.
    page.goto(f"{base}/console/library")
    page.set_input_files("#upload-file", str(VIDEO))
    page.fill("#upload-name", "caption video")
    page.click("#upload-button")
    page.wait_for_url(re.compile(r".*/console/library\?file_id=\d+"))
    video = page.url.rsplit("=", 1)[1]
    row = page.locator(f"tr[data-file-id='{video}']")
    row.locator("select[name=definition]").select_option(str(definition))
    row.locator("input[name=priority]").fill("5")
    row.locator("button:has-text('Start review')").click()

    # Watch it finish: the tasks page refreshes itself while tasks run.
    page.wait_for_url(f"{base}/console/tasks?file_id={video}")
    page.wait_for_selector("tr.task-finish", timeout=150_000)
    assert wait_finished(vod, image_task).ReviewAudioVideoTask.Output.Suggestion == "review"
    page.goto(f"{base}/console/tasks")
    assert page.locator("tr.task-finish").count() == 2
    shots(page, "tasks")
    assert playback_status(vod, image) == 403  # pre-moderation: nobody may watch it yet

    # The queue holds both, oldest first; j selects, Enter opens.
    page.goto(f"{base}/console/queue")
    assert page.locator("tr.row").count() == 2
    shots(page, "queue")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/console/media/{image}?show=review")
    assert page.locator("svg.image-boxes rect.box").count() >= 1

    # j goes on to the video's evidence: a timeline of flagged captions, the words marked, the frames.
    page.keyboard.press("j")
    page.wait_for_url(f"{base}/console/media/{video}?show=review")
    assert page.locator("svg.timeline rect.seg").count() >= 2
    assert "wechat" in page.locator(".texts mark").first.inner_text().lower()
    assert page.locator(".thumbs img").count() >= 1
    page.locator("svg.timeline rect.seg").last.click()
    position = page.evaluate("document.getElementById('player').currentTime")
    assert position >= 10  # the second caption starts at 12 s
    page.evaluate("document.getElementById('player').pause()")
    shots(page, "evidence")

    # Block the video with a reason, by keyboard: r to type, Esc to leave the field, b to block.
    page.keyboard.press("r")
    page.keyboard.type("spam caption")
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.wait_for_selector(".flash:has-text('Blocked')")

    # Back to the image: k goes to the previous item in the queue... which is now the only one; approve it with a.
    page.goto(f"{base}/console/queue")
    page.keyboard.press("j")
    page.keyboard.press("o")
    page.wait_for_url(f"{base}/console/media/{image}?show=review")
    page.keyboard.press("a")
    page.wait_for_selector(".flash:has-text('Approved')")
    assert page.locator("#queue-total").inner_text() == "0"

    # What the app sees through the SDK and its viewers through playback URLs.
    assert media_info(vod, video).BasicInfo.Status == "Forbidden" and playback_status(vod, video) == 403
    assert media_info(vod, image).BasicInfo.Status == "Normal" and playback_status(vod, image) == 200
    log = vod.call_json("DescribeReviewDecisions", {})["Response"]["DecisionSet"]
    assert [(d["FileId"], d["Decision"], d["Reason"]) for d in log] == [
        (image, "approve", ""), (video, "block", "spam caption"),
    ]  # fmt: skip

    page.goto(f"{base}/console/library")
    shots(page, "library")
    page.goto(f"{base}/console/dashboard")
    assert page.locator("#throughput").inner_text().endswith("×")  # the video's duration over its processing
    shots(page, "dashboard")
    page.close()
