"""``vodguard task show`` and ``vodguard media show``: a result read from the data directory and from a server
with a key pair (our own TC3 signer), on a real server whose worker moderates a real clip."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from tests.paths import fixture_path
from tests.server import RunningServer, start_server
from vodguard.services import firstrun
from vodguard.timeutil import utcnow


def vodguard(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VODGUARD_")}
    return subprocess.run(
        [sys.executable, "-m", "vodguard", *args], capture_output=True, text=True, env={**clean, **(env or {})},
        timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def uploaded(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    server = start_server(tmp_path_factory.mktemp("lookup"))
    with server.services.db.transaction() as s:
        pair = firstrun.prepare_start(s, now=utcnow()).first_key
    assert pair is not None
    with open(fixture_path("static.mp4"), "rb") as f:
        answer = httpx.post(
            f"{server.url}/upload", auth=(pair.secret_id, pair.secret_key), files={"file": ("clip.mp4", f)},
            data={"procedure": "review"}, timeout=60,
        ).json()  # fmt: skip
    yield server, pair, answer["FileId"], answer["ReviewAudioVideoTaskId"]
    server.stop()


def _remote(server: RunningServer, pair) -> list[str]:  # type: ignore[no-untyped-def]
    return ["--endpoint", server.url, "--secret-id", pair.secret_id, "--secret-key", pair.secret_key]


def test_task_show_waits_for_the_result_from_a_server(uploaded):
    server, pair, file_id, task_id = uploaded
    done = vodguard("task", "show", task_id, "--wait", "--timeout", "240", "--json", *_remote(server, pair))
    assert done.returncode == 0, done.stderr  # static.mp4 passes
    detail = json.loads(done.stdout)
    assert detail["Status"] == "FINISH"
    task = detail["ReviewAudioVideoTask"]
    assert task["Input"]["FileId"] == file_id and task["Output"]["Suggestion"] == "pass"


def test_task_and_media_show_read_the_data_dir(uploaded):
    server, _pair, file_id, task_id = uploaded
    data = str(server.settings.data_dir)
    shown = vodguard("task", "show", task_id, "--wait", "--timeout", "240", "--data-dir", data)
    assert shown.returncode == 0, shown.stderr
    assert f"TaskId      {task_id}" in shown.stdout and "Result      PASS" in shown.stdout
    assert shown.stderr.strip() == f"data: {data}"  # which data dir it read
    media = vodguard("media", "show", file_id, "--data-dir", data)
    assert media.returncode == 0, media.stderr
    assert f"FileId      {file_id}" in media.stdout and "Review      PASS" in media.stdout
    as_json = json.loads(vodguard("media", "show", file_id, "--json", "--data-dir", data).stdout)
    assert as_json["FileId"] == file_id and as_json["BasicInfo"]["Name"] == "clip"


def test_media_show_from_a_server(uploaded):
    server, pair, file_id, _task_id = uploaded
    done = vodguard("media", "show", file_id, "--json", *_remote(server, pair))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["BasicInfo"]["MediaUrl"].startswith(server.url)


@pytest.mark.parametrize("remote", [False, True])
def test_an_unknown_id_is_one_line_and_exit_3(uploaded, remote):
    server, pair, _file_id, _task_id = uploaded
    where = _remote(server, pair) if remote else ["--data-dir", str(server.settings.data_dir)]
    for command in (["task", "show", "1500000001-ReviewAudioVideo-nope"], ["media", "show", "404"]):
        done = vodguard(*command, *where)
        assert done.returncode == 3 and done.stdout == ""
        assert "Traceback" not in done.stderr and "does not exist" in done.stderr.splitlines()[-1]


def test_a_wrong_key_is_one_line_and_exit_3(uploaded):
    server, pair, _file_id, task_id = uploaded
    done = vodguard(
        "task",
        "show",
        task_id,
        "--endpoint",
        server.url,
        "--secret-id",
        pair.secret_id,
        "--secret-key",
        "x" * 32,
    )
    assert done.returncode == 3 and len(done.stderr.splitlines()) == 1 and "AuthFailure" in done.stderr
