"""Workers in their own processes: a SIGKILLed worker loses no task; workers share a Redis queue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tencentcloud.vod.v20180717 import models

from tests.conftest import vod_client
from tests.media import make_video
from tests.paths import MODEL_CACHE, fixture_path
from tests.sdk import wait_finished
from tests.server import scale_overrides, start_server
from tests.services import Unavailable, start_redis
from tests.test_tasks import review, template, upload


def start_worker(data_dir: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    # The worker must use the same database and queue as the test server (PostgreSQL/Redis in the scale run).
    shared = {f"VODGUARD_{k.upper()}": str(v) for k, v in scale_overrides(data_dir).items()}
    shared["VODGUARD_MODEL_CACHE_DIR"] = str(MODEL_CACHE)  # as the test server's (tests/server.py)
    env = {**shared, **env}
    return subprocess.Popen(
        [sys.executable, "-m", "vodguard", "worker", "--data-dir", str(data_dir), "--concurrency", "1"],
        env={**os.environ, **env}, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def status(vod, task_id: str) -> str:
    req = models.DescribeTaskDetailRequest()
    req.TaskId = task_id
    return vod.DescribeTaskDetail(req).Status


def test_sigkilled_worker_loses_no_task(tmp_path):
    # Short, so that the killed worker's lease runs out soon; not shorter, since the second worker's heartbeat
    # (every third of the lease, from its own thread) must keep the lease while that worker loads its models (10 s
    # there) and reads the video. At 2 s, on a 2-core AMD host shared with another test process, the second
    # worker logged "lease lost" while working, and the task ran a third time.
    env = {"VODGUARD_TASK_LEASE_SECONDS": "6"}
    data = tmp_path / "data"
    running = start_server(data, workers=0, task_lease_seconds=6)
    worker = second = None
    try:
        keys = running.new_key()
        vod = vod_client(running, keys.secret_id, keys.secret_key)
        video = make_video(tmp_path / "long.mp4", seconds=40, size=(480, 270))
        uploaded = upload(running, keys, video)
        task_id = review(vod, uploaded["FileId"], Definition=template(vod, ["Porn"]))
        worker = start_worker(data, env, tmp_path / "worker1.log")
        deadline = time.monotonic() + 60
        while status(vod, task_id) != "PROCESSING":
            assert time.monotonic() < deadline, "the worker never started the task"
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        assert status(vod, task_id) == "PROCESSING"  # the row still says so: only the lease can tell
        second = start_worker(data, env, tmp_path / "worker2.log")
        detail = wait_finished(vod, task_id, timeout=180)
        assert (
            detail.ReviewAudioVideoTask.ErrCodeExt == ""
            and detail.ReviewAudioVideoTask.Output.Suggestion == "pass"
        )
        from vodguard.store.models import Task

        with running.services.db.transaction() as s:
            assert s.get(Task, task_id).attempts == 2
    finally:
        for proc in (worker, second):
            if proc and proc.poll() is None:
                proc.terminate()
                proc.wait(10)
        running.stop()


def test_two_worker_processes_share_a_redis_queue(tmp_path):
    try:
        redis = start_redis(tmp_path)
    except Unavailable as exc:
        pytest.skip(str(exc))
    queue_url = redis.url
    data = tmp_path / "data"
    running = start_server(data, workers=0, queue_url=queue_url)
    workers = []
    try:
        keys = running.new_key()
        vod = vod_client(running, keys.secret_id, keys.secret_key)
        uploaded = upload(running, keys, fixture_path("silent.mp4"))
        porn = template(vod, ["Porn"])
        ids = [review(vod, uploaded["FileId"], Definition=porn, TasksPriority=i % 3) for i in range(6)]
        env = {"VODGUARD_QUEUE_URL": queue_url}
        workers = [start_worker(data, env, tmp_path / f"w{i}.log") for i in range(2)]
        for task_id in ids:
            assert wait_finished(vod, task_id, timeout=180).ReviewAudioVideoTask.ErrCodeExt == ""
        assert running.services.queue.pending() == 0
    finally:
        for proc in workers:
            proc.terminate()
            proc.wait(10)
        running.stop()
        redis.stop()


def test_a_lost_queue_message_is_queued_again(tmp_path):
    """A worker killed between taking a message and claiming the row loses the message, never the task."""
    from datetime import timedelta

    from vodguard.background import Background
    from vodguard.services import leases
    from vodguard.timeutil import utcnow

    running = start_server(tmp_path, workers=0)
    try:
        keys = running.new_key()
        vod = vod_client(running, keys.secret_id, keys.secret_key)
        uploaded = upload(running, keys, fixture_path("silent.mp4"))
        task_id = review(vod, uploaded["FileId"], Definition=template(vod, ["Porn"]))
        queue, lease = running.services.queue, running.services.settings.task_lease_seconds
        assert queue.pending() == 1
        queue.flush()  # the message is gone; the row still says WAITING
        with running.services.db.transaction() as s:
            leases.reap_expired_leases(s, queue=queue, lease_seconds=lease, now=utcnow())
        assert queue.pending() == 0  # not yet: the task has not waited long enough to be suspected
        with running.services.db.transaction() as s:
            leases.reap_expired_leases(s, queue=queue, lease_seconds=lease, now=utcnow() + timedelta(hours=1))
        assert queue.pending() == 1
        worker = Background(running.services, workers=1, api=False)
        worker.start()
        try:
            assert wait_finished(vod, task_id).ReviewAudioVideoTask.ErrCodeExt == ""
        finally:
            worker.stop()
    finally:
        running.stop()


def test_a_worker_loads_the_models_at_start_not_in_its_first_task(tmp_path):
    # A worker process without the API must not make its first task wait for the models (serve already did).
    data = tmp_path / "data"
    running = start_server(data, workers=0)
    log = tmp_path / "worker.log"
    worker = start_worker(data, {}, log)
    try:
        deadline = time.monotonic() + 600  # every model of every label, on a machine shared with other jobs
        while "models ready in" not in log.read_text():
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        ready = next(line for line in log.read_text().splitlines() if "models ready in" in line)
        assert all(name in ready for name in ("nsfw", "ocr", "asr", "text")), ready
    finally:
        worker.terminate()
        worker.wait(30)
        running.stop()
