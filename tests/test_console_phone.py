"""The console in a real browser (Playwright driving Debian's Chromium) at phone width and in another time zone:
no page scrolls sideways at 390 px, the decision comes before the player, times read in local time, and every
zh-CN page, as the browser shows it once its scripts have run, holds no English of the console.

Set ``VODGUARD_SCREENSHOTS=1`` to refresh ``docs/screenshots/evidence-zh.png`` (the evidence page in zh-CN).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.console_pages import Populated, console_with_data
from tests.test_console_i18n import english_words

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).parent.parent / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
# The elements that reach past the right edge (the outermost ones), to say what to fix when a page is too wide.
WIDEST = """Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 391
  && !(e.parentElement && e.parentElement.getBoundingClientRect().right > 391))
  .slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)
if not CHROMIUM.exists():
    pytest.skip("Debian's Chromium is not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def populated(tmp_path_factory):
    data = console_with_data(tmp_path_factory.mktemp("data"))
    yield data
    data.server.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        yield chromium
        chromium.close()


def signed_in(browser, populated: Populated, **context: object):
    """A new browser context (its own cookies, locale, zone, viewport), signed in with the app's key pair."""
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    base = populated.server.url
    page.goto(f"{base}/console/login")
    page.fill("input[name=secret_id]", populated.keys.secret_id)
    page.fill("input[name=secret_key]", populated.keys.secret_key)
    page.click("button.primary")
    page.wait_for_url(f"{base}/console/queue")
    return ctx, page


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_no_page_scrolls_sideways_at_390_px(browser, populated, locale):
    ctx, page = signed_in(browser, populated, locale=locale, viewport=PHONE)
    base = populated.server.url
    wide = {}
    for path in populated.pages():
        page.goto(base + path)
        assert page.locator("html").get_attribute("lang") == locale.replace("en-US", "en")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = (width, page.evaluate(WIDEST))
    # The one-time secret of a new key is shown by a form, not a link.
    page.goto(f"{base}/console/settings")
    page.click("#keys button[type=submit]:not(.danger)")
    page.wait_for_selector(".new-key")
    if (width := page.evaluate("document.documentElement.scrollWidth")) > PHONE["width"]:
        wide["new key"] = width
    ctx.close()
    anonymous = browser.new_page(locale=locale, viewport=PHONE)
    anonymous.goto(f"{base}/console/login")
    if (width := anonymous.evaluate("document.documentElement.scrollWidth")) > PHONE["width"]:
        wide["/console/login"] = width
    anonymous.close()
    assert not wide, f"pages wider than {PHONE['width']} px: {wide}"


def test_every_page_in_zh_cn_as_the_browser_shows_it_has_no_english(browser, populated):
    # tests/test_console_i18n.py reads the server's HTML; this reads the page after its scripts ran (local times,
    # upload and copy buttons, confirmations), which is what a person sees
    zone = "Asia/Shanghai"  # the page names the browser's zone by its IANA id, data rather than English
    ctx, page = signed_in(browser, populated, locale="zh-CN", timezone_id=zone)
    left = {}
    for path in populated.pages():
        page.goto(populated.server.url + path)
        page.wait_for_load_state("load")
        if words := english_words(page.content().replace(zone, "")):
            left[path] = sorted(words)
    ctx.close()
    assert not left, f"English left on zh-CN pages as Chromium shows them: {left}"


def test_the_decision_comes_before_the_player_on_a_phone(browser, populated):
    ctx, page = signed_in(browser, populated, viewport=PHONE)
    page.goto(f"{populated.server.url}/console/media/{populated.reviewed}")
    decide = page.locator(".decide").bounding_box()
    player = page.locator(".player-col").bounding_box()
    assert decide["y"] + decide["height"] <= player["y"]
    assert decide["y"] < PHONE["height"]  # on the first screen, without scrolling
    # On a laptop the decision sits to the right of the player, as before.
    page.set_viewport_size({"width": 1280, "height": 800})
    decide, player = page.locator(".decide").bounding_box(), page.locator(".player-col").bounding_box()
    assert decide["x"] > player["x"] + player["width"] - 1 and decide["y"] < player["y"] + player["height"]
    ctx.close()


def test_times_show_in_the_browsers_zone_with_utc_on_hover(browser, populated):
    ctx, page = signed_in(browser, populated, locale="zh-CN", timezone_id="Asia/Shanghai")
    base = populated.server.url
    page.goto(f"{base}/console/tasks")
    times = page.locator("time[datetime]")
    assert times.count() >= 2
    for i in range(times.count()):
        element = times.nth(i)
        stamp = element.get_attribute("datetime")
        utc = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
        assert element.inner_text() == (utc + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
        assert element.get_attribute("title") == utc.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert "Asia/Shanghai, UTC+08:00" in page.locator("#time-zone").inner_text()

    page.goto(f"{base}/console/dashboard")
    assert "Asia/Shanghai, UTC+08:00" in page.locator(".axis-zone").inner_text()
    ticks = page.locator("text[data-utc]")
    first = datetime.strptime(ticks.first.get_attribute("data-utc"), "%Y-%m-%dT%H:%M:%SZ")
    assert ticks.first.text_content() == (first + timedelta(hours=8)).strftime("%H:%M")
    page.goto(f"{base}/console/dashboard?range=7d")
    first = datetime.strptime(ticks.first.get_attribute("data-utc"), "%Y-%m-%dT%H:%M:%SZ")
    assert ticks.first.text_content() == (first + timedelta(hours=8)).strftime("%m-%d %H:%M")
    ctx.close()


def test_the_header_switch_changes_the_language_in_place(browser, populated):
    ctx, page = signed_in(
        browser,
        populated,
        locale="en-US",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 800},
    )
    base = populated.server.url
    page.goto(f"{base}/console/media/{populated.reviewed}")
    assert page.locator(".decide h2").inner_text() == "Decision"
    page.click(".langs a[hreflang=zh-CN]")
    page.wait_for_url(f"{base}/console/media/{populated.reviewed}")
    assert page.locator(".decide h2").inner_text() == "人工处理"
    assert page.locator("button.approve").inner_text().startswith("通过")
    if os.environ.get("VODGUARD_SCREENSHOTS") == "1":
        from PIL import Image

        path = SHOTS / "evidence-zh.png"
        page.screenshot(path=str(path))
        Image.open(path).convert("RGB").quantize(colors=128).save(path, optimize=True)
    page.click(".langs a[hreflang=en]")
    assert page.locator(".decide h2").inner_text() == "Decision"
    ctx.close()


# The words of every text node in the Result card that a line break cuts in two (a Range over a word that wraps
# has a rectangle on each line). The card's values are set to a long list of words first, as a block on several
# labels gives, so that lines must wrap.
SPLIT_WORDS = """(() => {
  const split = [];
  for (const dd of document.querySelectorAll('.facts dd')) {
    dd.textContent = 'block · OCR · Terror, Abuse, Illegal, Polity, Porn, Moan, Advertisement';
    const node = dd.firstChild;
    for (const m of node.textContent.matchAll(/[A-Za-z]+/g)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
      if (tops.size > 1) split.push(m[0]);
    }
  }
  return split;
})()"""


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 800}])
def test_the_result_card_wraps_between_words_not_inside_them(browser, populated, viewport):
    ctx, page = signed_in(browser, populated, viewport=viewport)
    page.goto(f"{populated.server.url}/console/media/{populated.reviewed}")
    assert page.evaluate(SPLIT_WORDS) == []
    ctx.close()
