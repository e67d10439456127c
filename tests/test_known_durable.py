"""A person's block reaches the bank even when the process that took it stops (#16): real server and worker
processes, the official SDK, and SIGKILL. The block's banking is written with the decision; an API-only server
never hashes, a killed one leaves the block pending, and the next process with workers banks it, once. Runs on
SQLite here and on PostgreSQL (with Redis and S3) under ``make test-scale``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests import known_media
from tests.paths import MODEL_CACHE
from tests.ports import free_port
from tests.server import scale_overrides
from tests.test_cluster import _client
from vodguard.config import Settings
from vodguard.services import apps, decisions, known, known_banking
from vodguard.store.db import Database
from vodguard.store.models import KnownPending, ReviewDecision
from vodguard.timeutil import utcnow

_ENV = {"database_url": "VODGUARD_DATABASE_URL", "storage_url": "VODGUARD_STORAGE_URL",
        "queue_url": "VODGUARD_QUEUE_URL", "queue_name": "VODGUARD_QUEUE_NAME"}  # fmt: skip


class Processes:
    """``vodguard`` commands started in their own processes on one data directory, killed at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        data = folder / "data"
        data.mkdir()
        overrides = scale_overrides(data)
        self.settings = Settings(data_dir=data, **overrides)
        self.env = {
            **os.environ,
            "VODGUARD_DATA_DIR": str(data),
            "VODGUARD_TASK_LEASE_SECONDS": "2",
            "VODGUARD_MODEL_CACHE_DIR": str(MODEL_CACHE),  # the derived model files, shared (tests/paths.py)
        }
        self.env.update({_ENV[name]: str(value) for name, value in overrides.items()})
        self.running: list[subprocess.Popen[bytes]] = []

    def run(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "vodguard", *args], env=self.env, capture_output=True,
                              text=True, check=True)  # fmt: skip
        return done.stdout

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{args[0]}-{len(self.running)}.log").open("ab")
        process = subprocess.Popen([sys.executable, "-m", "vodguard", *args], env=self.env, stdout=log,
                                   stderr=subprocess.STDOUT)  # fmt: skip
        self.running.append(process)
        return process

    def serve(self, *args: str) -> tuple[subprocess.Popen[bytes], int]:
        port = free_port()
        process = self.start("serve", "--port", str(port), *args)
        # a generous wait: on a loaded shared machine a server's start (imports, migrations) took over a minute
        deadline = time.monotonic() + 300
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1)
                return process, port
            except httpx.HTTPError:
                assert process.poll() is None, f"vodguard serve exited with {process.returncode}"
                assert time.monotonic() < deadline, f"server on {port} did not start"
                time.sleep(0.2)

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(30)


@pytest.fixture
def procs(tmp_path) -> Iterator[Processes]:
    processes = Processes(tmp_path)
    yield processes
    for process in processes.running:
        if process.poll() is None:
            process.kill()
            process.wait(30)


def _bank_of(
    procs: Processes, app_id: int
) -> tuple[list[tuple[str, str, str, str, int]], list[KnownPending]]:
    """(FileId, Label, Origin, Reason, frames) of each bank entry, and the pending blocks, read from the database."""
    db = Database(procs.settings.sqlalchemy_url)
    try:
        with db.transaction() as s:
            entries = [(e.file_id, e.label, e.origin, e.reason, n)
                       for e, n in known.list_entries(s, app_id=app_id)]  # fmt: skip
            pending = list(s.scalars(select(KnownPending)))
        return entries, pending
    finally:
        db.dispose()


def _block(port: int, keys: dict[str, Any], clip: Path, reason: str) -> str:
    with clip.open("rb") as f:
        up = httpx.post(f"http://127.0.0.1:{port}/upload", files={"file": (clip.name, f)},
                        auth=(keys["SecretId"], keys["SecretKey"]), timeout=60)  # fmt: skip
    assert up.status_code == 200, up.text
    file_id: str = up.json()["FileId"]
    vod = _client(port, keys)
    vod.call_json(
        "SetReviewDecision", {"FileId": file_id, "Decision": "block", "Reason": reason, "Label": "Porn"}
    )
    return file_id


def _banked(port: int, keys: dict[str, Any], file_id: str, timeout: float = 180) -> list[dict[str, Any]]:
    vod = _client(port, keys)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = vod.call_json("DescribeKnownContents", {"Limit": 100})["Response"]["KnownContentSet"]
        found = [e for e in listed if e["FileId"] == file_id]
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"FileId {file_id} did not reach the bank in {timeout} s")


def test_a_block_recorded_by_a_killed_server_is_banked_after_a_restart(procs, tmp_path):
    keys = json.loads(procs.run("keys", "create", "--json"))
    app_id = int(keys["SubAppId"])
    clip = known_media.slideshow(tmp_path / "blocked.mp4", known_media.ORIGINAL_PHOTOS[:4])

    # an API-only server records the decision and its pending banking, then dies before anything hashed it
    api, port = procs.serve("--no-workers")
    blocked = _block(port, keys, clip, "leaked screener")
    procs.kill(api)
    entries, pending = _bank_of(procs, app_id)
    assert entries == []
    assert [(p.file_id, p.label, p.attempts) for p in pending] == [(blocked, "Porn", 0)]

    # a server with a worker starts on the same data: the block is banked without anyone asking again
    server, port = procs.serve()
    [entry] = _banked(port, keys, blocked)
    assert (entry["Label"], entry["Origin"], entry["Reason"]) == ("Porn", "decision", "leaked screener")
    assert entry["FrameCount"] >= 4
    entries, pending = _bank_of(procs, app_id)
    assert len(entries) == 1 and pending == []
    procs.kill(server)


def test_a_worker_killed_while_hashing_leaves_the_block_to_the_next_one(procs, tmp_path):
    keys = json.loads(procs.run("keys", "create", "--json"))
    app_id = int(keys["SubAppId"])
    clip = known_media.slideshow(tmp_path / "long.mp4", known_media.ORIGINAL_PHOTOS, seconds=4)
    api, port = procs.serve("--no-workers")
    blocked = _block(port, keys, clip, "first")

    # a worker process claims the block (its lease is on the row) and is killed at once, mid-hash
    worker = procs.start("worker")
    deadline = time.monotonic() + 120
    while True:
        entries, pending = _bank_of(procs, app_id)
        if not pending or pending[0].attempts >= 1:
            break
        assert time.monotonic() < deadline, "no worker claimed the pending block"
        time.sleep(0.05)
    procs.kill(worker)

    # another worker takes it once the lease has run out; the media is banked exactly once
    procs.start("worker")
    [entry] = _banked(port, keys, blocked)
    assert (entry["Label"], entry["Reason"]) == ("Porn", "first")
    entries, pending = _bank_of(procs, app_id)
    assert [e[0] for e in entries] == [blocked] and pending == []


# --- the pending rows themselves, on the database alone (time passed in, nothing waits) ------------------------


@pytest.fixture
def db(tmp_path) -> Iterator[Database]:
    from vodguard.store.db import migrate

    settings = Settings(data_dir=tmp_path, **scale_overrides(tmp_path))
    migrate(settings.sqlalchemy_url)
    database = Database(settings.sqlalchemy_url)
    yield database
    database.dispose()


def _decide(s, app_id: int, file_id: str, decision: str, *, now, operator: str = "api") -> ReviewDecision:
    row = ReviewDecision(app_id=app_id, file_id=file_id, decision=decision, reason="", operator=operator,
                         sha256="", created_at=now)  # fmt: skip
    s.add(row)
    s.flush()
    return row


def test_a_pending_block_is_claimed_by_one_holder_until_its_lease_runs_out(db):
    now = utcnow()
    with db.transaction() as s:
        app_id = apps.create_app(s, now=now).id
        known_banking.record(s, _decide(s, app_id, "f1", "block", now=now), label="Terror", now=now)
        known_banking.record(s, _decide(s, app_id, "f2", "approve", now=now), now=now)  # adds nothing
        same = _decide(s, app_id, "f3", "block", now=now, operator=decisions.SAME_CONTENT)
        known_banking.record(s, same, now=now)  # identical bytes: the SHA-256 carries it
    with db.transaction() as s:
        first = known_banking.claim_next(s, lease_seconds=60, now=now)
        assert first is not None and (first.file_id, first.label, first.attempts) == ("f1", "Terror", 1)
        assert known_banking.claim_next(s, lease_seconds=60, now=now + timedelta(seconds=59)) is None
        again = known_banking.claim_next(s, lease_seconds=60, now=now + timedelta(seconds=61))
        assert again is not None and (again.file_id, again.attempts) == ("f1", 2)  # its holder stopped
        assert known_banking.claim_next(s, lease_seconds=60, now=now + timedelta(seconds=100)) is None


def test_an_approve_takes_a_pending_block_and_the_banked_entry_out(db):
    now = utcnow()
    with db.transaction() as s:
        app_id = apps.create_app(s, now=now).id
        known.add_entry(
            s,
            app_id=app_id,
            label="Porn",
            kind="video",
            origin="decision",
            frames=[(0.0, 7)],
            now=now,
            file_id="f1",
        )
        known_banking.record(s, _decide(s, app_id, "f1", "block", now=now), now=now)
        known_banking.record(s, _decide(s, app_id, "f1", "approve", now=now), now=now)
    with db.transaction() as s:
        assert known.list_entries(s, app_id=app_id) == []
        assert known_banking.claim_next(s, lease_seconds=60, now=now + timedelta(days=1)) is None
