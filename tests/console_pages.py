"""A console with something on every page, for the tests that walk them all (languages, phone width): a review
template, a finished review waiting for a person, and a review still queued. ``console_with_data`` builds it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import vod_client
from tests.sdk import wait_finished
from tests.server import RunningServer, start_server
from tests.test_console import TEXT_IMAGE, Console, basic_upload, latest_task_id
from vodguard.services.apps import KeyPair

TEMPLATE_NAME = "广告转人工"  # data in Chinese, so that any English left on a zh-CN page is the console's own


@dataclass
class Populated:
    server: RunningServer
    keys: KeyPair
    reviewed: str  # FileId of an image whose review finished with "review" (it waits in the queue)
    queued: str  # FileId of an image whose review is still WAITING (no worker runs)

    def pages(self) -> list[str]:
        """Every console page a signed-in key-pair session (an admin) can open (GET), with data on each."""
        return [
            "/console/queue", "/console/queue?show=block", "/console/queue?show=all",
            f"/console/media/{self.reviewed}", f"/console/media/{self.queued}",
            "/console/library", "/console/library?date_from=yesterday",
            "/console/tasks", "/console/tasks?status=WAITING",
            "/console/dashboard", "/console/dashboard?range=7d", "/console/dashboard?range=30d",
            "/console/settings", "/console/media/424242",
            "/console/known", "/console/users", "/console/audit",
        ]  # fmt: skip


def console_with_data(data_dir: Path) -> Populated:
    """Review one image to the end on a server with a worker, then restart without workers and queue another."""
    first = start_server(data_dir, workers=1)
    try:
        keys = first.new_key()
        console = Console(first).sign_in_with(keys)
        created = console.post(
            "/console/settings/templates",
            [("name", TEMPLATE_NAME), ("labels", "Ad"), ("review_Ad", "40"), ("block_Ad", "99")],
        )
        definition = int(re.search(r"#template-(\d+)", created.headers["location"]).group(1))
        reviewed = basic_upload(first, keys, TEXT_IMAGE, mediaName="海报")["FileId"]
        console.post(f"/console/media/{reviewed}/review", {"definition": definition})
        vod = vod_client(first, keys.secret_id, keys.secret_key)
        assert (
            wait_finished(vod, latest_task_id(console, reviewed)).ReviewAudioVideoTask.Output.Suggestion
            == "review"
        )
    finally:
        first.stop()
    server = start_server(data_dir, workers=0)
    console = Console(server).sign_in_with(keys)
    queued = basic_upload(server, keys, TEXT_IMAGE, mediaName="待审海报")["FileId"]
    console.post(f"/console/media/{queued}/review", {"definition": definition})
    assert 'class="task-waiting"' in console.get("/console/tasks").text
    return Populated(server, keys, reviewed, queued)
