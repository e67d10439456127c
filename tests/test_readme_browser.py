"""The README's quick start, then its console, in a real browser (Playwright driving Debian's Chromium): a server
started as ``make run`` starts it, the README's exact curl upload with ``procedure=review``, then the console at
the README's address, signed in with the key pair the first start printed, where the Tasks page shows that task's
result and the media's page the path to it: the suggestion, the template and the labels it checked, the task, and
the decisions (none yet, then the one made here, under the key that made it)."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.test_console_browser import browser  # noqa: F401 - the shared Chromium fixture
from tests.test_readme_path import LABELS, ROOT, readme_server


def console_address() -> str:
    """Where the README says the console is."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Quick start") : text.index("## Using it from an app")]
    found = re.search(
        r"The console is at `(http://127\.0\.0\.1:8080/console)` \(sign in with the key pair\)", section
    )
    assert found, "the quick start no longer says where the console is"
    return found[1]


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("curl"), reason="the README's upload line is a curl command")
def test_the_readme_path_ends_in_the_console(tmp_path, browser):  # noqa: F811
    with readme_server(tmp_path) as run:
        answer = run.curl_upload()
        task_id, file_id = answer["ReviewAudioVideoTaskId"], answer["FileId"]
        base = f"http://127.0.0.1:{run.port}"
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(20_000)

        # The README's console address sends a visitor to the sign-in form; the first start's key pair opens it.
        page.goto(console_address().replace("127.0.0.1:8080", f"127.0.0.1:{run.port}"))
        assert page.url.startswith(f"{base}/console/login")
        page.fill("input[name=secret_id]", run.secret_id)
        page.fill("input[name=secret_key]", run.secret_key)
        page.click("button:has-text('Sign in')")
        page.wait_for_url(f"{base}/console/queue")

        # Tasks: the uploaded clip's review, which the page follows (it refreshes itself while tasks run).
        page.click("nav a:has-text('Tasks')")
        page.wait_for_url(f"{base}/console/tasks")
        row = page.locator(f"tr[data-task-id='{task_id}']")
        assert row.count() == 1
        page.wait_for_selector(f"tr.task-finish[data-task-id='{task_id}']", timeout=900_000)
        assert row.locator("td.result .pill").inner_text() == "pass"  # static.mp4 is clean
        assert row.locator("td a").inner_text() == "clip"

        # The media's page: what was decided, by which template with which labels, in which task.
        row.locator("td a").click()
        page.wait_for_url(f"{base}/console/media/{file_id}")
        facts = page.locator("section.card:has(h2:has-text('Result')) dl.facts")
        fact = {
            facts.locator("dt").nth(i).inner_text(): facts.locator("dd").nth(i).inner_text()
            for i in range(facts.locator("dt").count())
        }
        assert fact["FileId"] == file_id and fact["Suggestion"] == "pass"
        assert fact["Template"].startswith("10001 · ") and fact["Template"].endswith(
            f"({LABELS.replace(',', ', ')})"
        )
        assert fact["Task"].splitlines()[0] == task_id
        history = page.locator("section.card:has(h2:has-text('History'))")
        assert history.locator("p.sub").inner_text() == "No decision yet."

        # A person's decision joins the path, under the key that signed in.
        page.fill("#reason", "checked by hand")
        page.click("button.approve[name=decision]")
        page.wait_for_selector(".flash:has-text('Approved')")  # on the queue, where the next item would be
        page.goto(f"{base}/console/media/{file_id}")
        entry = history.locator("ul.history li")
        assert entry.count() == 1
        assert entry.first.locator(".pill").inner_text() == "approve"
        assert run.secret_id in entry.inner_text() and "checked by hand" in entry.inner_text()
        page.close()
