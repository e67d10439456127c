"""/metrics for Prometheus, /healthz, a browser at the root sent to the console, and JSON logs that carry the
RequestId."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
from tencentcloud.vod.v20180717 import models

from tests.paths import MODEL_CACHE
from tests.ports import free_port, wait_port
from vodguard import logs


def test_metrics_count_requests_and_show_queue_depth(server, vod):
    vod.DescribeReviewTemplates(models.DescribeReviewTemplatesRequest())
    try:
        vod.call_json("NoSuchAction", {})
    except Exception:
        pass
    text = httpx.get(f"{server.url}/metrics").text
    assert 'vodguard_api_requests_total{action="DescribeReviewTemplates",code="OK"}' in text
    assert 'vodguard_api_requests_total{action="unknown",code="InvalidAction"}' in text
    assert "vodguard_api_request_seconds_bucket" in text
    assert "vodguard_tasks_waiting " in text and "# TYPE vodguard_tasks_waiting gauge" in text


def test_healthz_answers_and_a_browser_at_the_root_goes_to_the_console(server):
    health = httpx.get(f"{server.url}/healthz")
    assert health.status_code == 200 and health.json() == {"Status": "ok"}
    page = httpx.get(f"{server.url}/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 303 and page.headers["location"] == "/console"
    # a program at the root still gets the API's answer
    api = httpx.get(f"{server.url}/").json()["Response"]["Error"]
    assert api["Code"] == "MissingParameter"


def test_json_log_lines_carry_the_request_id(capsys):
    logs.configure("json")
    try:
        token = logs.request_id.set("rid-123")
        logging.getLogger("vodguard.test").warning("something to see")
        logs.request_id.reset(token)
        line = capsys.readouterr().err.strip().splitlines()[-1]
        entry = json.loads(line)
        assert entry["request_id"] == "rid-123" and entry["message"] == "something to see"
        assert entry["level"] == "WARNING" and entry["time"].endswith("Z")
    finally:
        logging.getLogger().handlers.clear()


RECORD = """
import sys
from pathlib import Path

from vodguard.commands.common import share_metrics

share_metrics(Path(sys.argv[1]))
from vodguard import metrics

metrics.TASKS.labels(err_code_ext="").inc(int(sys.argv[2]))
print("recorded", flush=True)
sys.stdin.read()  # a worker that stays until its stdin closes
"""


def _recording_process(data: Path, tasks: int) -> subprocess.Popen[str]:
    """A process that records ``tasks`` finished tasks the way ``vodguard worker`` does, and stays alive."""
    proc = subprocess.Popen([sys.executable, "-c", RECORD, str(data), str(tasks)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline() == "recorded\n"
    return proc


def _finished(text: str) -> str:
    return re.search(r'^vodguard_tasks_finished_total\{err_code_ext=""\} (\S+)$', text, re.M)[1]


def test_an_api_server_counts_every_process_on_its_data_directory(tmp_path):
    data = tmp_path / "data"
    earlier = _recording_process(data, 5)
    earlier.communicate("")  # a run that has ended: its files are forgotten when the next one starts
    worker = _recording_process(data, 2)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "vodguard", "serve", "--no-workers", "--port", str(port), "--data-dir", str(data)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "VODGUARD_MODEL_CACHE_DIR": str(MODEL_CACHE)},  # shared, as in tests/server.py
    )  # fmt: skip
    # The server loads its models in the background as it starts, and on two cores shared with another test
    # process its first answers took over httpx's default 5 s: this test counts, it does not time.
    client = httpx.Client(timeout=60)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_port(port, "vodguard serve", timeout=60)
        client.post(url, json={}, headers={"X-TC-Action": "DescribeReviewTemplates"})  # unsigned
        text = client.get(f"{url}/metrics").text
        assert _finished(text) == "2.0"  # the worker's tasks, and not the earlier run's
        assert 'vodguard_api_requests_total{action="DescribeReviewTemplates",code="MissingParameter"}' in text
        assert "# TYPE vodguard_tasks_waiting gauge" in text
        worker.communicate("")
        assert _finished(client.get(f"{url}/metrics").text) == "2.0"  # an ended process still counts
    finally:
        client.close()
        server.terminate()
        server.wait(20)
        if worker.poll() is None:
            worker.kill()
