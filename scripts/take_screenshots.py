"""Refresh the console screenshots in docs/screenshots/ (the README's table and docs/console.md link them).

Starts a vodguard server on a free loopback port with a temporary data directory and one moderation worker, fills
it with sample data (a review template that sends ads and porn to a person, the committed caption video, a text picture
and a clean clip uploaded through ``POST /upload`` with a procedure, a moderator account who blocks the picture),
then drives Debian's Chromium with Playwright through every page and saves one PNG per page, in English, and the
evidence page in Chinese (zh-CN) as well. Each PNG is reduced to a 128-colour palette so that it stays small
in the repository.

Needs the test tools (``make test`` installs Playwright; ``apt-get install chromium``); it downloads nothing.
Usage, from the repository root:

    .venv/bin/python scripts/take_screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import base64
import re
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import uvicorn
from PIL import Image

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's vodguard, whatever is installed

from vodguard.api.app import create_app  # noqa: E402
from vodguard.background import Background  # noqa: E402
from vodguard.config import Settings  # noqa: E402
from vodguard.services import apps  # noqa: E402
from vodguard.services.container import open_services  # noqa: E402
from vodguard.timeutil import utcnow  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run"]  # fmt: skip
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLES = [  # file, name shown in the console
    (
        FIXTURES / "text_video.mp4",
        "caption video",
    ),  # captions "add wechat abc123 for free porn" at 4-8 s, 12-16 s
    (FIXTURES / "images" / "text.png", "poster"),
    (FIXTURES / "static.mp4", "clean clip"),
]
MODERATOR, PASSWORD = "mia", "mia's long password"
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def sample_server(data_dir: Path) -> Iterator[tuple[str, apps.KeyPair]]:
    """A server with one worker and the sample data, reviewed to the end; yields its URL and the app's key pair."""
    settings = Settings(data_dir=data_dir, port=_free_port())
    services = open_services(settings)
    config = uvicorn.Config(create_app(services), host="127.0.0.1", port=settings.port, log_level="warning",
                            lifespan="off", proxy_headers=False)  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    background = Background(services)
    background.start()
    try:
        with services.db.transaction() as s:
            keys = apps.create_key(s, key_name="web backend", now=utcnow())
        url = f"http://127.0.0.1:{settings.port}"
        _set_up_in_the_console(url, keys)
        auth = base64.b64encode(f"{keys.secret_id}:{keys.secret_key}".encode()).decode()
        for path, name in SAMPLES:
            with path.open("rb") as f:
                answer = httpx.post(
                    f"{url}/upload", data={"mediaName": name, "procedure": "people"}, files={"file": (path.name, f)},
                    headers={"Authorization": f"Basic {auth}"}, timeout=60,
                )  # fmt: skip
            answer.raise_for_status()
        yield url, keys
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        background.stop()
        services.close()


def _set_up_in_the_console(url: str, keys: apps.KeyPair) -> None:
    """The template, procedure and moderator, made through the console's forms (so the audit log lists them)."""
    console = httpx.Client(base_url=url, timeout=30)

    def csrf(path: str) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', console.get(path).text)
        assert found, path
        return found[1]

    def post(path: str, form: dict[str, object]) -> httpx.Response:
        answer = console.post(path, data={"csrf": csrf("/console/settings"), **form})
        assert answer.status_code == 303, answer.text
        return answer

    signed_in = console.post("/console/login", data={
        "csrf": csrf("/console/login"), "secret_id": keys.secret_id, "secret_key": keys.secret_key,
    })  # fmt: skip
    assert signed_in.status_code == 303, signed_in.text
    thresholds = {
        f"{kind}_{label}": value
        for label in ("Porn", "Ad")
        for kind, value in (("review", 40), ("block", 99))
    }
    created = post("/console/settings/templates", {
        "name": "to a person", "comment": "ads and porn wait for a person", "labels": ["Porn", "Ad", "Abuse"],
        **thresholds,
    })  # fmt: skip
    definition = re.search(r"#template-(\d+)", created.headers["location"])
    assert definition
    post("/console/settings/procedures", {"name": "people", "definition": definition[1]})
    post("/console/users", {"name": MODERATOR, "role": "moderator", "password": PASSWORD, "again": PASSWORD})


def save(page: Page, out: Path, name: str) -> None:
    path = out / f"{name}.png"
    page.screenshot(path=str(path))
    Image.open(path).convert("RGB").quantize(colors=128).save(path, optimize=True)
    print(
        f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {path.stat().st_size // 1024} KB"
    )


def sign_in(page: Page, url: str, keys: apps.KeyPair) -> None:
    page.goto(f"{url}/console/login")
    page.fill("input[name=secret_id]", keys.secret_id)
    page.fill("input[name=secret_key]", keys.secret_key)
    page.click("section.login button[type=submit]")
    page.wait_for_url(f"{url}/console/queue")


def show_second_caption(page: Page) -> None:
    """Seek to the video's second flagged caption by clicking the timeline, and wait for that frame."""
    page.locator("svg.timeline rect.seg").last.click()
    page.evaluate("document.getElementById('player').pause()")
    for _ in range(300):  # the console's CSP allows no eval, so no wait_for_function: poll, at most 30 s
        if page.evaluate("(p => !p.seeking && p.readyState >= 2)(document.getElementById('player'))"):
            return
        page.wait_for_timeout(100)
    raise RuntimeError("the player did not show the seeked frame in 30 s")


def take(url: str, keys: apps.KeyPair, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        english = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="Asia/Shanghai")
        page = english.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{url}/console/queue")
        save(page, out, "login")
        sign_in(page, url, keys)
        page.goto(f"{url}/console/tasks")
        # the page refreshes itself while tasks run (the console's CSP allows no eval, so no wait_for_function)
        page.wait_for_selector(f"tr.task-finish >> nth={len(SAMPLES) - 1}", timeout=900_000)
        save(page, out, "tasks")

        # The moderator blocks the picture with a preset reason, so that the audit log names her.
        moderator = browser.new_context(viewport=VIEWPORT, locale="en-US")
        theirs = moderator.new_page()
        theirs.goto(f"{url}/console/login")
        theirs.fill("input[name=app_id]", str(keys.sub_app_id))
        theirs.fill("input[name=name]", MODERATOR)
        theirs.fill("input[name=password]", PASSWORD)
        theirs.click("section.login button[type=submit]")
        theirs.wait_for_url(f"{url}/console/queue")
        theirs.click("tr.row:has-text('poster') a.open")
        theirs.click("button[data-reason='Advertising or contact details']")
        theirs.click("button.block[name=decision]")
        theirs.wait_for_selector(".flash")
        moderator.close()

        page.goto(f"{url}/console/queue?show=all")
        save(page, out, "queue")
        video = page.locator("tr.row:has-text('caption video') a.open").get_attribute("href")
        page.goto(f"{url}{video}")
        show_second_caption(page)
        save(page, out, "evidence")
        for name, path in [("library", "/console/library"), ("settings", "/console/settings"),
                           ("dashboard", "/console/dashboard"), ("people", "/console/users"),
                           ("audit", "/console/audit")]:  # fmt: skip
            page.goto(f"{url}{path}")
            save(page, out, name)

        chinese = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})  # fmt: skip
        page = chinese.new_page()
        page.set_default_timeout(30_000)
        sign_in(page, url, keys)
        page.goto(f"{url}{video}")
        show_second_caption(page)
        save(page, out, "evidence-zh")
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data, sample_server(Path(data)) as (url, keys):
        take(url, keys, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
