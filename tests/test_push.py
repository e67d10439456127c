"""PUSH delivery to real HTTP receivers: signing, retries, order per media, leases, and a server restart."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tencentcloud.vod.v20180717 import models

from tests.conftest import vod_client
from tests.media import make_image
from tests.ports import free_port
from tests.server import RunningServer, start_server
from vodguard.config import Settings
from vodguard.services import apps, events, push
from vodguard.services.container import Services, open_services
from vodguard.services.destinations import AllowList
from vodguard.store.models import Event
from vodguard.timeutil import utcnow

FAST = push.Backoff(first=0.2, cap=1.0)  # tests wait fractions of a second, not the 5 s of production
# The receivers here listen on loopback, which the server refuses unless the operator allows it (audit D4).
LOOPBACK = {"notify_allow": "127.0.0.1"}


class Receiver:
    """A tiny HTTP server that records every POST and answers what ``answer(body)`` says (200 by default)."""

    def __init__(
        self, port: int | None = None, answer: Callable[[dict[str, Any]], int] | None = None
    ) -> None:
        self.port = port or free_port()
        self.answer = answer or (lambda body: 200)
        self.attempts: list[dict[str, Any]] = []  # every POST, in arrival order
        self.delivered: list[dict[str, Any]] = []  # the ones answered 2xx
        self.lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/vod-events"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver.lock:
                    receiver.attempts.append(body)
                status = receiver.answer(body)
                if 200 <= status < 300:
                    with receiver.lock:
                        receiver.delivered.append(body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait until ``condition()`` holds; a bounded wait for background work, never a speed assertion."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not hold in time")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_image(tmp_path_factory.mktemp("media") / "still.jpg")


def configure(server: RunningServer, url: str, **fields: str):
    keys = server.new_key()
    client = vod_client(server, keys.secret_id, keys.secret_key)
    req = models.ModifyEventConfigRequest()
    req.from_json_string(json.dumps({"Mode": "PUSH", "NotificationUrl": url, **fields}))
    client.ModifyEventConfig(req)
    return keys, client


def upload(server: RunningServer, keys, path: Path) -> str:
    with path.open("rb") as f:
        resp = httpx.post(
            f"{server.url}/upload", files={"file": (path.name, f)}, auth=(keys.secret_id, keys.secret_key)
        )
    assert resp.status_code == 200, resp.text
    return resp.json()["FileId"]


def nulls(value: Any) -> bool:
    if isinstance(value, dict):
        return any(v is None or nulls(v) for v in value.values())
    if isinstance(value, list):
        return any(nulls(v) for v in value)
    return False


def pending(services: Services) -> list[Event]:
    with services.db.transaction() as s:
        return list(s.scalars(select(Event).where(Event.mode == "PUSH", Event.done_at.is_(None))))


# --- Through `vodguard serve`'s background job (production backoff) ------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # with the background jobs, as `vodguard serve`
    running = start_server(tmp_path_factory.mktemp("data"), **LOOPBACK)
    yield running
    running.stop()


def test_upload_is_pushed_signed_without_handle_or_nulls(server, image):
    receiver = Receiver().start()
    try:
        keys, _ = configure(server, receiver.url, SignKey="Secret42", UploadMediaCompleteEventSwitch="ON")
        file_id = upload(server, keys, image)
        wait_for(lambda: receiver.delivered)
    finally:
        receiver.stop()
    body = receiver.delivered[0]
    assert body["EventType"] == "NewFileUpload"
    assert body["FileUploadEvent"]["FileId"] == file_id
    assert "EventHandle" not in body and not nulls(body)
    expiry = int(body["T"])
    assert abs(expiry - (time.time() + push.SIGN_SECONDS)) < 60
    assert body["Sign"] == hashlib.md5(f"Secret42{body['T']}".encode()).hexdigest()


def test_without_sign_key_there_is_no_sign(server, image):
    receiver = Receiver().start()
    try:
        keys, _ = configure(server, receiver.url, DeleteMediaCompleteEventSwitch="ON")
        file_id = upload(server, keys, image)
        client = vod_client(server, keys.secret_id, keys.secret_key)
        req = models.DeleteMediaRequest()
        req.FileId = file_id
        client.DeleteMedia(req)
        wait_for(lambda: receiver.delivered)
    finally:
        receiver.stop()
    assert receiver.delivered == [
        {
            "EventType": "FileDeleted",
            "FileDeleteEvent": {
                "FileIdSet": [file_id],
                "FileDeleteResultInfo": [{"FileId": file_id, "DeleteParts": []}],
            },
        }
    ]


# --- A dispatcher with a short backoff, on a server without background jobs --------------------------------


@pytest.fixture
def fast(tmp_path: Path) -> Iterator[RunningServer]:
    """A server whose events are sent by a dispatcher with a fraction-of-a-second backoff."""
    running = start_server(tmp_path / "data", background=False, **LOOPBACK)
    dispatcher = push.Dispatcher(running.services, backoff=FAST)
    stop = threading.Event()
    thread = threading.Thread(target=dispatcher.run, args=(stop, 0.1), daemon=True)
    thread.start()
    yield running
    stop.set()
    thread.join()
    dispatcher.close()
    running.stop()


def emit_push(services: Services, app_id: int, items: list[tuple[str, str]]) -> None:
    """Write ReviewAudioVideoComplete events (task id, order key) in one transaction; its commit wakes the
    dispatcher."""
    with services.db.transaction() as s:
        for task_id, key in items:
            body = {"ReviewAudioVideoCompleteEvent": {"TaskId": task_id, "FileId": key}}
            events.emit(
                s,
                wakeups=services.wakeups,
                app_id=app_id,
                event_type="ReviewAudioVideoComplete",
                body=body,
                order_key=key,
                now=utcnow(),
            )


def task_id(body: dict[str, Any]) -> str:
    return body["ReviewAudioVideoCompleteEvent"]["TaskId"]


def test_a_refused_delivery_is_retried_until_accepted(fast):
    answers = iter([500, 503])
    receiver = Receiver(answer=lambda body: next(answers, 200)).start()
    try:
        keys, _ = configure(fast, receiver.url)
        emit_push(fast.services, keys.sub_app_id, [("t1", "f1")])
        wait_for(lambda: receiver.delivered)
    finally:
        receiver.stop()
    assert [task_id(b) for b in receiver.attempts] == ["t1", "t1", "t1"]
    assert [task_id(b) for b in receiver.delivered] == ["t1"]
    wait_for(lambda: not pending(fast.services))


def test_order_per_media_is_kept_while_others_go_ahead(fast):
    failures = {"a1": 2}  # the first event of media "a" is refused twice

    def answer(body: dict[str, Any]) -> int:
        left = failures.get(task_id(body), 0)
        failures[task_id(body)] = left - 1
        return 500 if left > 0 else 200

    receiver = Receiver(answer=answer).start()
    try:
        keys, _ = configure(fast, receiver.url)
        emit_push(fast.services, keys.sub_app_id, [("a1", "a"), ("a2", "a"), ("b1", "b"), ("a3", "a")])
        wait_for(lambda: len(receiver.delivered) == 4)
    finally:
        receiver.stop()
    delivered = [task_id(b) for b in receiver.delivered]
    assert [t for t in delivered if t.startswith("a")] == ["a1", "a2", "a3"]
    attempts = [task_id(b) for b in receiver.attempts]
    # Nothing of media "a" was even tried before a1 got through; "b" did not wait for "a".
    assert attempts[: attempts.index("a2")].count("a1") == 3
    assert delivered.index("b1") < delivered.index("a1")


def test_a_slow_receiver_does_not_hold_up_another_app(fast):
    gate = threading.Event()
    slow = Receiver(answer=lambda body: 200 if gate.wait(30) else 500).start()
    quick = Receiver().start()
    try:
        slow_keys, _ = configure(fast, slow.url)
        quick_keys, _ = configure(fast, quick.url)
        emit_push(fast.services, slow_keys.sub_app_id, [(f"s{i}", f"s{i}") for i in range(4)])
        wait_for(lambda: slow.attempts)
        emit_push(fast.services, quick_keys.sub_app_id, [("q1", "q1"), ("q2", "q2")])
        wait_for(lambda: len(quick.delivered) == 2)
        assert slow.delivered == []  # still held by the slow receiver
        gate.set()
        wait_for(lambda: len(slow.delivered) == 4)
    finally:
        gate.set()
        slow.stop()
        quick.stop()


# --- The test: restart while the receiver is down --------------------------------------------------


def test_restart_while_the_receiver_is_down_then_every_event_arrives(tmp_path, image):
    data = tmp_path / "data"
    receiver = Receiver()  # its port is chosen, nothing listens yet
    first = start_server(data, **LOOPBACK)
    try:
        keys, client = configure(
            first, receiver.url, UploadMediaCompleteEventSwitch="ON", DeleteMediaCompleteEventSwitch="ON"
        )
        file_ids = [upload(first, keys, image) for _ in range(3)]
        req = models.DeleteMediaRequest()
        req.FileId = file_ids[0]
        client.DeleteMedia(req)

        # Each upload event was tried and refused before the restart; the FileDeleted event waits behind the
        # upload event of its file and was not tried at all.
        def tried() -> bool:
            rows = pending(first.services)
            uploads = [e for e in rows if e.event_type == "NewFileUpload"]
            return (
                len(rows) == 4
                and len(uploads) == 3
                and all(e.attempts >= 1 and e.last_error for e in uploads)
            )

        wait_for(tried)
        assert [e.attempts for e in pending(first.services) if e.event_type == "FileDeleted"] == [0]
    finally:
        first.stop()

    second = start_server(data, **LOOPBACK)
    try:
        receiver.start()
        wait_for(lambda: len(receiver.delivered) == 4, timeout=60)
        wait_for(lambda: not pending(second.services))
    finally:
        second.stop()
        receiver.stop()
    got = [
        (b["EventType"], (b.get("FileUploadEvent") or b.get("FileDeleteEvent"))) for b in receiver.delivered
    ]
    uploaded = [e["FileId"] for kind, e in got if kind == "NewFileUpload"]
    deleted = [e["FileIdSet"][0] for kind, e in got if kind == "FileDeleted"]
    assert sorted(uploaded) == sorted(file_ids) and deleted == [file_ids[0]]
    kinds_of_first = [kind for kind, e in got if file_ids[0] in (e.get("FileId"), *e.get("FileIdSet", []))]
    assert kinds_of_first == ["NewFileUpload", "FileDeleted"]


# --- The claim, lease and backoff rules, with time as a parameter -------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Services, int]]:
    """A data directory with one PUSH app and no server or dispatcher running."""
    services = open_services(Settings(data_dir=tmp_path / "data", **LOOPBACK))
    allow = AllowList.parse(services.settings.notify_allow)
    with services.db.transaction() as s:
        app_id = apps.create_key(s, now=utcnow()).sub_app_id
        events.modify_config(
            s, app_id=app_id, mode="PUSH", notification_url="http://127.0.0.1:9/x", allow=allow
        )
    yield services, app_id
    services.close()


def claim(services: Services, at, **kwargs: Any) -> list[push.Claim]:
    with services.db.transaction() as s:
        return push.claim_due(s, now=at, limit=kwargs.pop("limit", 8), lease_seconds=60, **kwargs)


def test_a_lease_keeps_others_off_until_it_expires(store):
    services, app_id = store
    t0 = utcnow()
    emit_push(services, app_id, [("t1", "f1")])
    held = claim(services, t0)
    assert [c.event_id for c in held] == [held[0].event_id]
    assert claim(services, t0 + timedelta(seconds=59)) == []
    # The holder crashed: once its lease ran out another dispatcher takes the event, and the old claim is void.
    taken = claim(services, t0 + timedelta(seconds=60))
    assert [c.event_id for c in taken] == [held[0].event_id] and taken[0].token != held[0].token
    with services.db.transaction() as s:
        lost = push.record_failure(
            s,
            claim=held[0],
            error="late",
            now=t0 + timedelta(seconds=61),
            backoff=push.Backoff(),
            retry_hours=48,
        )
        assert lost is False
        assert push.record_delivered(s, event_id=taken[0].event_id, now=t0 + timedelta(seconds=61)) is True


def test_only_the_first_undelivered_event_of_an_order_key_is_due(store):
    services, app_id = store
    t0 = utcnow()
    emit_push(services, app_id, [("a1", "a"), ("a2", "a"), ("b1", "b"), ("n1", ""), ("n2", "")])
    first = claim(services, t0)
    assert sorted(task_id(c.body) for c in first) == ["a1", "b1", "n1", "n2"]
    with services.db.transaction() as s:
        for c in first:
            push.record_delivered(s, event_id=c.event_id, now=t0)
    assert [task_id(c.body) for c in claim(services, t0)] == ["a2"]


def test_per_app_share_and_limit_are_respected(store):
    services, app_id = store
    t0 = utcnow()
    emit_push(services, app_id, [(f"t{i}", f"f{i}") for i in range(6)])
    assert len(claim(services, t0, limit=3)) == 3
    assert claim(services, t0, per_app=2, busy=Counter({app_id: 2})) == []
    assert len(claim(services, t0, per_app=2, busy=Counter({app_id: 1}))) == 1


def test_backoff_doubles_up_to_its_cap_and_gives_up_only_after_the_retry_window(store):
    services, app_id = store
    t0 = utcnow()
    emit_push(services, app_id, [("t1", "f1")])
    now = t0
    delays = []
    for _ in range(10):
        (c,) = claim(services, now)
        with services.db.transaction() as s:
            assert push.record_failure(
                s, claim=c, error="HTTP 500", now=now, backoff=push.Backoff(), retry_hours=48
            )
            event = s.get(Event, c.event_id)
            delays.append((event.visible_at - now).total_seconds())
            assert event.done_at is None and event.last_error == "HTTP 500"
        now = event.visible_at
    assert delays == [5, 10, 20, 40, 80, 160, 320, 600, 600, 600]
    (c,) = claim(services, t0 + timedelta(hours=48))
    with services.db.transaction() as s:
        push.record_failure(
            s, claim=c, error="HTTP 500", now=t0 + timedelta(hours=48), backoff=push.Backoff(), retry_hours=48
        )
        event = s.get(Event, c.event_id)
        assert event.done_at is not None and event.last_error.startswith("gave up after 11 attempts")


def test_payload_leaves_out_nulls_and_signs_at_the_top_level():
    body = {
        "EventType": "X",
        "FileUploadEvent": {"FileId": "1", "MetaData": None, "Items": [{"A": None, "B": 2}]},
        "FileDeleteEvent": None,
    }
    assert push.payload(body, sign_key="", now=1000.0) == {
        "EventType": "X",
        "FileUploadEvent": {"FileId": "1", "Items": [{"B": 2}]},
    }
    signed = push.payload(body, sign_key="k1", now=1000.5)
    assert signed["T"] == "1600"
    assert signed["Sign"] == hashlib.md5(b"k11600").hexdigest()
