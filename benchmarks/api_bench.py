"""API speed through the official SDK against a real server: ReviewImage, DescribeTaskDetail, the task queue.

The server is the test suite's (`tests/server.py`): uvicorn in a thread on a free port, SQLite and the SQLite
queue under a temporary folder. Queue workers are threads of the benchmark's process (``Background``), as in
``vodguard serve``; each moderates with the engine, which itself uses two threads.
"""

from __future__ import annotations

import base64
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.figures import Figure, load, percentile

RATE_LIMIT_OFF = 1_000_000


def _upload(server: Any, keys: Any, path: Path) -> str:
    token = base64.b64encode(f"{keys.secret_id}:{keys.secret_key}".encode()).decode()
    with path.open("rb") as fh:
        resp = httpx.post(
            f"{server.url}/upload",
            files={"file": (path.name, fh)},
            headers={"Authorization": f"Basic {token}"},
            timeout=120,
        )
    resp.raise_for_status()
    return resp.json()["FileId"]


def _review_image_latency(vod: Any, file_ids: list[str], rounds: int) -> list[float]:
    from tencentcloud.vod.v20180717 import models

    seconds = []
    for i in range(rounds * len(file_ids) + len(file_ids)):
        req = models.ReviewImageRequest()
        req.FileId, req.Definition = file_ids[i % len(file_ids)], 10
        start = time.perf_counter()
        vod.ReviewImage(req)
        if i >= len(file_ids):  # the first round warms the models up
            seconds.append(time.perf_counter() - start)
    return seconds


def _describe_rate(make_client: Any, task_id: str, threads: int, seconds: float) -> float:
    from tencentcloud.vod.v20180717 import models

    counts = [0] * threads
    failures: list[BaseException] = []
    stop = time.monotonic() + seconds

    def hammer(slot: int) -> None:
        vod = make_client()
        req = models.DescribeTaskDetailRequest()
        req.TaskId = task_id
        try:
            while time.monotonic() < stop:
                vod.DescribeTaskDetail(req)
                counts[slot] += 1
        except Exception as exc:  # surfaced in the calling thread below
            failures.append(exc)

    start = time.perf_counter()
    pool = [threading.Thread(target=hammer, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if failures:
        raise failures[0]
    return sum(counts) / (time.perf_counter() - start)


def _queue_throughput(
    server: Any, vod: Any, file_ids: list[str], definition: int, workers: int, also: tuple[str, ...] = ()
) -> float:
    """Tasks per minute: queue ``len(file_ids)`` reviews, then let ``workers`` threads drain them (and ``also``)."""
    from tencentcloud.vod.v20180717 import models

    from vodguard.background import Background

    tasks = []
    for file_id in file_ids:
        req = models.ReviewAudioVideoRequest()
        req.FileId, req.Definition = file_id, definition
        tasks.append(vod.ReviewAudioVideo(req).TaskId)
    pool = Background(server.services, workers=workers, api=False)
    start = time.perf_counter()
    pool.start()
    try:
        pending = {*tasks, *also}
        while pending:
            for task_id in list(pending):
                req = models.DescribeTaskDetailRequest()
                req.TaskId = task_id
                if vod.DescribeTaskDetail(req).Status in ("FINISH", "ABORTED"):
                    pending.discard(task_id)
            if pending:
                time.sleep(0.2)
        elapsed = time.perf_counter() - start
    finally:
        pool.stop()
    return len(tasks) / elapsed * 60


def api(pictures: list[Path], notes: list[str], *, rounds: int = 5, queue_tasks: int = 12) -> list[Figure]:
    """Every API figure, from one server started for the purpose."""
    from tencentcloud.vod.v20180717 import models

    from tests.conftest import vod_client
    from tests.media import make_video
    from tests.server import start_server

    figures = []
    with tempfile.TemporaryDirectory(prefix="vodguard-bench-") as tmp:
        # The per-app request limits (200/s, and 20 ReviewAudioVideo/s) would cap the figures at the limits, not
        # the server. The clips are identical bytes, so reuse is off: the queue figures are of moderation; the
        # replay figure turns it on.
        server = start_server(
            Path(tmp) / "data", workers=0, request_rate_per_app=RATE_LIMIT_OFF,
            review_rate_per_app=RATE_LIMIT_OFF, reuse_results=False,
        )  # fmt: skip
        try:
            keys = server.new_key()

            def client() -> Any:
                return vod_client(server, keys.secret_id, keys.secret_key)

            vod = client()
            before = load()
            image_ids = [_upload(server, keys, p) for p in pictures]
            latencies = _review_image_latency(vod, image_ids, rounds)
            for q in (50, 95):
                figures.append(
                    Figure(
                        f"api.review_image.p{q}",
                        f"ReviewImage latency p{q} (SDK, template 10)",
                        percentile(latencies, q) * 1000,
                        "ms",
                        better="lower",
                    )
                )
            notes.append(
                f"ReviewImage: {len(latencies)} calls over {len(image_ids)} pictures after a warm-up round; "
                f"load average {before} before, {load()} after."
            )

            videos = [make_video(Path(tmp) / f"clip{i}.mp4", seconds=10.0, size=(480, 270)) for i in range(3)]
            video_ids = [_upload(server, keys, v) for v in videos]
            req = models.ReviewAudioVideoRequest()
            req.FileId, req.Definition = video_ids[0], 10
            waiting = vod.ReviewAudioVideo(req).TaskId  # no worker yet: it stays WAITING
            before = load()
            for threads in (1, 4):
                rate = _describe_rate(client, waiting, threads, seconds=8.0)
                figures.append(
                    Figure(
                        f"api.describe_task_detail.threads{threads}",
                        f"DescribeTaskDetail throughput, {threads} client thread(s)",
                        rate,
                        "req/s",
                    )
                )
            notes.append(
                f"DescribeTaskDetail: 8 s per run, with the per-app request limit raised out of the way (by "
                f"default the server answers RequestLimitExceeded above 200 requests/s per app); load average "
                f"{before} before, {load()} after."
            )

            tpl = models.CreateReviewTemplateRequest()
            tpl.Labels = ["Porn", "Ad", "Abuse"]
            definition = vod.CreateReviewTemplate(tpl).Definition
            # The first two video tasks (the waiting one, template 10, and one of this template) load the video
            # models (ReviewImage loaded the picture ones): the cost that a warm worker, which keeps its engine
            # and its models across tasks, does not pay again.
            first = 60 / _queue_throughput(server, vod, video_ids[:1], definition, 1, (waiting,)) / 2
            before = load()
            for workers in (1, 2, 4):
                ids = [video_ids[i % len(video_ids)] for i in range(queue_tasks)]
                rate = _queue_throughput(server, vod, ids, definition, workers)
                if workers == 1:
                    figures += [
                        Figure(
                            "queue.first_task_seconds",
                            "Queue: the first two 10-s clip tasks of a worker, each (its video models load)",
                            first,
                            "s",
                            better="lower",
                        ),
                        Figure(
                            "queue.warm_task_seconds",
                            "Queue: a 10-s clip task on the same worker, warm (models kept), 1 worker thread",
                            60 / rate,
                            "s",
                            better="lower",
                        ),
                    ]
                figures.append(
                    Figure(
                        f"queue.tasks_per_minute.workers{workers}",
                        f"Queue throughput, {workers} worker thread(s), 10-s 480×270 clips (Porn, Ad, Abuse)",
                        rate,
                        "tasks/min",
                    )
                )
            notes.append(
                f"Queue: {queue_tasks} ReviewAudioVideo tasks per run on 10-s clips, SQLite queue, worker threads "
                f"in one process, result reuse off; load average {before} before, {load()} after."
            )
            server.services.settings.reuse_results = True
            _queue_throughput(
                server, vod, video_ids[:1], definition, 1
            )  # a result to replay, with its digest
            before = load()
            rate = _queue_throughput(server, vod, [video_ids[0]] * queue_tasks, definition, 1)
            figures.append(
                Figure(
                    "queue.replays_per_minute.workers1",
                    "Queue throughput replaying a result, 1 worker thread, the same 10-s clip again",
                    rate,
                    "tasks/min",
                )
            )
            notes.append(
                f"Replay: {queue_tasks} tasks on bytes reviewed before (VODGUARD_REUSE_RESULTS on): each hashes the "
                f"file and copies the earlier evidence instead of running the models; load average {before} "
                f"before, {load()} after."
            )
        finally:
            server.stop()
    return figures
