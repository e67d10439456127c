"""The console's Known page in a real browser (Playwright driving Debian's Chromium): a moderator adds a stored
picture to the bank by FileId, sees it listed, and removes it; the API agrees at each step."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import vod_client
from tests.known_media import PHOTOS
from tests.test_console import basic_upload
from tests.test_console_browser import sign_in_with_key

CHROMIUM = Path("/usr/bin/chromium")
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)
if not CHROMIUM.exists():
    pytest.skip("Debian's Chromium is not installed (apt-get install chromium)", allow_module_level=True)


def test_a_moderator_adds_and_removes_known_content(server, tmp_path):
    keys = server.new_key()
    vod = vod_client(server, keys.secret_id, keys.secret_key)
    file_id = basic_upload(server, keys, PHOTOS / "photo_skimage_chelsea_full.jpg", mediaName="cat poster")[
        "FileId"
    ]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync"],
        )  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.set_default_timeout(20_000)
            sign_in_with_key(page, server.url, keys)

            page.click("nav a:has-text('Known')")
            page.wait_for_url(f"{server.url}/console/known")
            assert page.locator(".empty").inner_text().startswith("The bank is empty")
            form = page.locator("#known-add form")
            form.locator("input[name=file_id]").fill(file_id)
            form.locator("select[name=label]").select_option("Porn")
            form.locator("input[name=reason]").fill("reported twice")
            form.locator("button:has-text('Add')").click()
            page.wait_for_selector(".flash:has-text('Added known-')")
            row = page.locator("#known-entries tbody tr")
            assert row.count() == 1
            text = row.first.inner_text()
            assert "cat poster" in text and "Porn" in text and "reported twice" in text and "picture" in text
            page.screenshot(path=str(tmp_path / "known.png"))
            [entry] = vod.call_json("DescribeKnownContents", {})["Response"]["KnownContentSet"]
            assert entry["FileId"] == file_id and entry["Reason"] == "reported twice"

            row.first.locator("button:has-text('Remove')").click()
            page.wait_for_selector(".flash:has-text('Removed')")
            assert page.locator("#known-entries").count() == 0
            assert vod.call_json("DescribeKnownContents", {})["Response"]["KnownContentSet"] == []
        finally:
            browser.close()
