"""The README's quick start, step by step as written: a server started as ``make run`` starts it (``vodguard
serve`` with no flags, in a folder with no data yet), the README's exact curl upload with ``procedure=review``,
then its ``vodguard task show TASKID --wait`` reaching the verdict. Real models on a small clip."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.paths import fixture_path
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
LABELS = "Porn,Terror,Polity,Ad,Illegal,Abuse,Moan"  # what the first start's `review` procedure checks


def quick_start_lines() -> list[str]:
    """The shell lines of the README's quick start that follow `make run`, without their comments."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Quick start") : text.index("## Using it from an app")]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [line.split("  #")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


def _env(port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VODGUARD_")}
    # `make run` calls .venv/bin/vodguard; here it is this checkout's code, from a folder with no data
    return {**env, "PYTHONPATH": str(ROOT), "VODGUARD_PORT": str(port)}


@dataclass
class QuickStart:
    """A server started as `make run` starts it, in a folder with no data, and what its banner said."""

    folder: Path
    port: int
    output: list[str]  # every line the server printed so far (a thread keeps reading)
    secret_id: str
    secret_key: str
    upload: str  # the README's curl line, filled in with this server's address and key pair

    def wait_for_line(self, needle: str, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not any(needle in line for line in self.output) and time.monotonic() < deadline:
            time.sleep(0.1)
        return any(needle in line for line in self.output)

    def curl_upload(self) -> dict[str, str]:
        """Run the README's curl upload of clip.mp4, exactly as written but for the address and keys."""
        uploaded = subprocess.run(
            shlex.split(self.upload), cwd=self.folder, capture_output=True, text=True, timeout=60
        )
        assert uploaded.returncode == 0, uploaded.stderr
        answer: dict[str, str] = json.loads(uploaded.stdout)
        assert answer["ReviewAudioVideoTaskId"] and answer["FileId"]
        return answer


@contextmanager
def readme_server(folder: Path) -> Iterator[QuickStart]:
    """`vodguard serve` with no flags in ``folder`` (holding the README's clip.mp4), until its next steps show."""
    make_run, upload, _task_show = quick_start_lines()
    assert make_run.startswith("make run")
    assert upload.startswith("curl -u SECRET_ID:SECRET_KEY") and "-F procedure=review" in upload
    port = free_port()
    shutil.copy(fixture_path("static.mp4"), folder / "clip.mp4")
    server = subprocess.Popen(
        [sys.executable, "-m", "vodguard", "serve"], cwd=folder, env=_env(port),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    output: list[str] = []
    assert server.stdout is not None
    reader = threading.Thread(target=lambda: output.extend(iter(server.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while not any("task show" in line for line in output):
            assert server.poll() is None and time.monotonic() < deadline, "".join(output)
            time.sleep(0.1)
        banner = "".join(output)
        secret_id = re.search(r"^\s*SecretId\s+(\S+)$", banner, re.M)[1]
        secret_key = re.search(r"^\s*SecretKey\s+(\S+)$", banner, re.M)[1]
        # the banner's next steps are the README's, with the real address and key pair
        filled = upload.replace("SECRET_ID", secret_id).replace("SECRET_KEY", secret_key)
        filled = filled.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
        assert filled in banner
        yield QuickStart(folder, port, output, secret_id, secret_key, filled)
    finally:
        server.terminate()
        server.wait(30)


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("curl"), reason="the README's upload line is a curl command")
def test_the_readme_quick_start_works_as_written(tmp_path):
    task_show = quick_start_lines()[2]
    assert task_show == ".venv/bin/vodguard task show TASKID --wait"
    with readme_server(tmp_path) as run:
        # `vodguard task show TASKID --wait`, run as -m here
        assert task_show.removeprefix(".venv/bin/") in "".join(run.output)
        answer = run.curl_upload()
        task_id, file_id = answer["ReviewAudioVideoTaskId"], answer["FileId"]

        # .venv/bin/vodguard is this checkout here
        words = shlex.split(task_show.replace("TASKID", task_id))[1:]
        shown = subprocess.run(
            [sys.executable, "-m", "vodguard", *words], cwd=tmp_path, env=_env(run.port), capture_output=True,
            text=True, timeout=900,
        )  # fmt: skip
        assert shown.returncode == 0, shown.stdout + shown.stderr  # static.mp4 passes
        assert f"TaskId      {task_id}" in shown.stdout and "Result      PASS" in shown.stdout
        assert f"FileId      {file_id}  (template 10001)" in shown.stdout

        # the server said when its models were ready, and logged the task on one line. The warm-up may end after
        # the task: it also loads what this silent, textless clip never needed (the text models, the tiled ones)
        expected = f"task {task_id} file {file_id}: pass (labels {LABELS}; template 10001)"
        run.wait_for_line(expected, 30)
        run.wait_for_line("models ready in", 120)
        log = "".join(run.output)
        assert re.search(r"models ready in \d+ s", log), log
        assert expected in log, log
