"""Many machines in miniature: two API servers and two workers on PostgreSQL and Redis, one of each killed mid-run.

Every task must finish exactly once and every completion event must be delivered, whichever server took the
request and whichever worker died.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.vod.v20180717 import models, vod_client

from tests import services as real
from tests.media import make_video
from tests.ports import free_port
from tests.sdk import pull_completions


@pytest.fixture
def cluster_env(tmp_path):
    try:
        database = real.postgres_url(tmp_path / "cluster")
        queue = real.redis_url()
    except real.Unavailable as exc:
        pytest.skip(str(exc))
    env = {
        **os.environ,
        "VODGUARD_DATA_DIR": str(tmp_path / "data"),
        "VODGUARD_DATABASE_URL": database,
        "VODGUARD_QUEUE_URL": queue,
        "VODGUARD_QUEUE_NAME": f"cluster-{tmp_path.name}",
        "VODGUARD_TASK_LEASE_SECONDS": "3",
    }
    if os.environ.get("VODGUARD_TEST_STORAGE") == "s3":
        env["VODGUARD_STORAGE_URL"] = real.s3_url(tmp_path / "cluster")
    return env


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "vodguard", *args], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )


def _client(port: int, keys: dict) -> vod_client.VodClient:
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=f"127.0.0.1:{port}", protocol="http"))
    return vod_client.VodClient(credential.Credential(keys["SecretId"], keys["SecretKey"]), "", profile)


def _wait_http(port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1)
            return
        except httpx.HTTPError:
            assert time.monotonic() < deadline, f"server on {port} did not start"
            time.sleep(0.1)


def test_two_servers_two_workers_one_of_each_killed(cluster_env, tmp_path):
    keys = json.loads(
        subprocess.run([sys.executable, "-m", "vodguard", "keys", "create", "--json"], env=cluster_env,
                       capture_output=True, text=True, check=True).stdout
    )  # fmt: skip
    ports = [free_port(), free_port()]
    procs = []
    try:
        servers = [
            _start(["serve", "--no-workers", "--port", str(p)], cluster_env, tmp_path / f"api{i}.log")
            for i, p in enumerate(ports)
        ]
        procs += servers
        workers = [
            _start(["worker", "--concurrency", "1"], cluster_env, tmp_path / f"w{i}.log") for i in range(2)
        ]
        procs += workers
        for port in ports:
            _wait_http(port)
        vods = [_client(p, keys) for p in ports]
        config = models.ModifyEventConfigRequest()
        config.Mode = "PULL"
        vods[0].ModifyEventConfig(config)
        template = models.CreateReviewTemplateRequest()
        template.Labels = ["Porn"]
        definition = vods[1].CreateReviewTemplate(template).Definition
        # Clips long enough (a few seconds of work each) that the kill lands while workers are busy.
        clip = make_video(tmp_path / "clip.mp4", seconds=20, size=(480, 270))
        task_ids = []
        for i in range(8):
            port = ports[i % 2]
            with clip.open("rb") as f:
                up = httpx.post(f"http://127.0.0.1:{port}/upload", files={"file": ("s.mp4", f)},
                                auth=(keys["SecretId"], keys["SecretKey"]), timeout=60)  # fmt: skip
            assert up.status_code == 200, up.text
            req = models.ReviewAudioVideoRequest()
            req.FileId, req.Definition, req.SessionId = up.json()["FileId"], definition, f"s-{i}"
            task_ids.append(vods[i % 2].ReviewAudioVideo(req).TaskId)
        # A duplicate SessionId is refused whichever server sees it.
        req.SessionId = "s-0"
        with pytest.raises(Exception, match="SessionId"):
            vods[1].ReviewAudioVideo(req)
        # Kill one API server and one worker as soon as a worker holds a task.
        deadline = time.monotonic() + 120
        while not _processing(vods[1]):
            assert time.monotonic() < deadline, "no worker started a task"
            time.sleep(0.05)
        servers[0].send_signal(signal.SIGKILL)
        workers[0].send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 300
        while _statuses(vods[1], task_ids).get("FINISH", 0) < len(task_ids):
            assert time.monotonic() < deadline, f"tasks left unfinished: {_statuses(vods[1], task_ids)}"
            time.sleep(0.5)
        delivered = pull_completions(vods[1], task_ids)
        assert set(delivered) == set(task_ids)
        assert all(count == 1 for count in delivered.values()), delivered
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()


def _processing(vod) -> bool:
    req = models.DescribeTasksRequest()
    req.Status, req.Limit = "PROCESSING", 100
    return bool(vod.DescribeTasks(req).TaskSet)


def _statuses(vod, task_ids: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for task_id in task_ids:
        req = models.DescribeTaskDetailRequest()
        req.TaskId = task_id
        counts[vod.DescribeTaskDetail(req).Status] += 1
    return counts
