"""Load test: several API servers and workers on PostgreSQL, Redis (and S3 when configured), driven by SDK clients.

usage: python -m benchmarks.loadtest [--servers 2] [--workers 2] [--tasks 40] [--clients 8]

Starts a throw-away PostgreSQL cluster and Redis (the same helpers the tests use), ``--servers`` processes of
``vodguard serve --no-workers`` and ``--workers`` processes of ``vodguard worker``, uploads one short clip, then
``--clients`` threads submit a burst of ReviewAudioVideo tasks round-robin over the servers and poll
DescribeTaskDetail until all finish. Reports submit latency percentiles, tasks per minute end to end, and checks
that every task finished exactly once with exactly one ReviewAudioVideoComplete event. Writes the figures to
benchmarks/loadtest.json and into the load-test block of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.vod.v20180717 import models, vod_client

from benchmarks.figures import machine
from tests import services as real
from tests.ports import free_port
from tests.sdk import pull_completions

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT / "tests" / "fixtures" / "clean_video.mp4"
BEGIN, END = "<!-- loadtest:begin -->", "<!-- loadtest:end -->"


def client(port: int, keys: dict) -> vod_client.VodClient:
    profile = ClientProfile(
        httpProfile=HttpProfile(endpoint=f"127.0.0.1:{port}", protocol="http", reqTimeout=30)
    )
    return vod_client.VodClient(credential.Credential(keys["SecretId"], keys["SecretKey"]), "", profile)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(servers: int, workers: int, tasks: int, clients: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="vodguard-load-"))
    env = {
        **os.environ,
        "VODGUARD_DATA_DIR": str(tmp / "data"),
        "VODGUARD_DATABASE_URL": real.postgres_url(tmp),
        "VODGUARD_QUEUE_URL": real.redis_url(),
        "VODGUARD_QUEUE_NAME": f"load-{tmp.name}",
    }
    if os.environ.get("VODGUARD_LOAD_STORAGE_URL"):
        env["VODGUARD_STORAGE_URL"] = os.environ["VODGUARD_LOAD_STORAGE_URL"]
    keys = json.loads(
        subprocess.run([sys.executable, "-m", "vodguard", "keys", "create", "--json"], env=env,
                       capture_output=True, text=True, check=True).stdout
    )  # fmt: skip
    ports = [free_port() for _ in range(servers)]
    procs = [
        subprocess.Popen([sys.executable, "-m", "vodguard", "serve", "--no-workers", "--port", str(p)], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for p in ports
    ]  # fmt: skip
    procs += [
        subprocess.Popen([sys.executable, "-m", "vodguard", "worker"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(workers)
    ]  # fmt: skip
    try:
        for port in ports:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"API server on {port} did not start") from None
                    time.sleep(0.1)
        vods = [client(p, keys) for p in ports]
        config = models.ModifyEventConfigRequest()
        config.Mode = "PULL"
        vods[0].ModifyEventConfig(config)
        with CLIP.open("rb") as f:
            up = httpx.post(f"http://127.0.0.1:{ports[0]}/upload", files={"file": (CLIP.name, f)},
                            auth=(keys["SecretId"], keys["SecretKey"]), timeout=60)  # fmt: skip
        file_id = up.json()["FileId"]
        template = models.CreateReviewTemplateRequest()
        template.Labels = ["Porn", "Ad", "Abuse"]
        definition = vods[0].CreateReviewTemplate(template).Definition

        submit_latency: list[float] = []
        task_ids: list[str] = []
        limited = Counter[str]()
        lock = threading.Lock()

        def submit(i: int) -> None:
            req = models.ReviewAudioVideoRequest()
            req.FileId, req.Definition, req.TasksPriority = file_id, definition, (i % 5) - 2
            while True:  # ReviewAudioVideo is limited to 20/s per app across all servers: back off and retry
                started = time.perf_counter()
                try:
                    task_id = vods[i % servers].ReviewAudioVideo(req).TaskId
                    break
                except TencentCloudSDKException as exc:
                    if exc.get_code() != "RequestLimitExceeded":
                        raise
                    with lock:
                        limited["RequestLimitExceeded"] += 1
                    time.sleep(0.2)
            with lock:
                submit_latency.append(time.perf_counter() - started)
                task_ids.append(task_id)

        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(submit, range(tasks)))
        submitted = time.perf_counter() - started

        poll_latency: list[float] = []
        pending = set(task_ids)
        while pending:
            for task_id in list(pending):
                req = models.DescribeTaskDetailRequest()
                req.TaskId = task_id
                t0 = time.perf_counter()
                status = vods[len(pending) % servers].DescribeTaskDetail(req).Status
                poll_latency.append(time.perf_counter() - t0)
                if status == "FINISH":
                    pending.discard(task_id)
            time.sleep(0.5)
        finished = time.perf_counter() - started

        delivered = pull_completions(vods[0], task_ids)
        ms = [v * 1000 for v in submit_latency]
        polls = [v * 1000 for v in poll_latency]
        return {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": "{cores} cores, {cpu}".format(**machine()),
            "servers": servers,
            "workers": workers,
            "clients": clients,
            "tasks": tasks,
            "clip_seconds": 10,
            "submit_seconds": round(submitted, 2),
            "submit_p50_ms": round(statistics.median(ms), 1),
            "submit_p95_ms": round(percentile(ms, 0.95), 1),
            "poll_p50_ms": round(statistics.median(polls), 1),
            "poll_p95_ms": round(percentile(polls, 0.95), 1),
            "rate_limited_retries": limited["RequestLimitExceeded"],
            "all_finished_seconds": round(finished, 1),
            "tasks_per_minute": round(tasks / finished * 60, 1),
            "each_finished_once": len(set(task_ids)) == tasks,
            "each_event_delivered_once": set(delivered) == set(task_ids)
            and all(c == 1 for c in delivered.values()),
        }
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def kept_block(doc: Path) -> str:
    """The load-test block of ``doc`` (it runs apart from ``make bench``, whose rewrite must keep it)."""
    text = doc.read_text() if doc.exists() else ""
    if BEGIN in text and END in text:
        return "\n" + text[text.index(BEGIN) : text.index(END) + len(END)] + "\n"
    return ""


def write_doc(result: dict) -> None:
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    block = "\n".join(
        [
            BEGIN,
            "## Load test: many API servers and workers (`python -m benchmarks.loadtest`)",
            "",
            f"{result['date']}, {result['machine']}. {result['servers']} API servers, {result['workers']} workers "
            f"(one thread each) on PostgreSQL and Redis, {result['clients']} SDK client threads, a burst of "
            f"{result['tasks']} ReviewAudioVideo tasks on a {result['clip_seconds']} s clip (labels Porn, Ad, Abuse).",
            "",
            "| figure | value |",
            "|---|---|",
            f"| submit latency p50 / p95 | {result['submit_p50_ms']} / {result['submit_p95_ms']} ms |",
            f"| DescribeTaskDetail latency p50 / p95 (while workers run) | {result['poll_p50_ms']} / {result['poll_p95_ms']} ms |",
            f"| burst submitted in | {result['submit_seconds']} s ({result['rate_limited_retries']} calls answered RequestLimitExceeded by the shared 20/s limit, then retried) |",
            f"| all tasks finished after | {result['all_finished_seconds']} s ({result['tasks_per_minute']} tasks/min) |",
            f"| every task finished once, every event delivered once | {result['each_finished_once'] and result['each_event_delivered_once']} |",
            END,
        ]
    )
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.loadtest", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tasks", type=int, default=40)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    try:
        result = run(args.servers, args.workers, args.tasks, args.clients)
    except real.Unavailable as exc:
        print(f"load test skipped: {exc}")
        return 0
    print(json.dumps(result, indent=2))
    (ROOT / "benchmarks" / "loadtest.json").write_text(json.dumps(result, indent=2) + "\n")
    write_doc(result)
    return 0 if result["each_finished_once"] and result["each_event_delivered_once"] else 1


if __name__ == "__main__":
    sys.exit(main())
