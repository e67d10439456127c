"""Event configuration and PULL delivery: the official SDK against a real server, and the service for timing."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.vod.v20180717 import models

from tests.conftest import vod_client
from tests.media import make_image
from tests.server import RunningServer, start_server
from vodguard.services import events
from vodguard.services.destinations import AllowList
from vodguard.timeutil import utcnow

HOLD = 4.0  # the test server's PullEvents hold (the default is 5 s)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> RunningServer:
    # loopback allowed for the PUSH URL of test_events_keep_the_mode_they_were_written_under (audit D4)
    running = start_server(tmp_path_factory.mktemp("data"), pull_hold_seconds=HOLD, notify_allow="127.0.0.1")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_image(tmp_path_factory.mktemp("media") / "still.jpg")


def new_app(server: RunningServer, **config: str):
    """A fresh app (a wall of its own) with its SDK client, configured through ModifyEventConfig when asked."""
    keys = server.new_key()
    client = vod_client(server, keys.secret_id, keys.secret_key)
    if config:
        client.ModifyEventConfig(request(models.ModifyEventConfigRequest, **config))
    return keys, client


def request(model, **fields):
    req = model()
    req.from_json_string(json.dumps(fields))
    return req


def upload(server: RunningServer, keys, path: Path) -> str:
    with path.open("rb") as f:
        resp = httpx.post(
            f"{server.url}/upload",
            files={"file": (path.name, f)},
            auth=(keys.secret_id, keys.secret_key),
        )
    assert resp.status_code == 200, resp.text
    return resp.json()["FileId"]


def pull(client) -> list:
    return client.PullEvents(models.PullEventsRequest()).EventSet or []


def confirm(client, handles: list[str]) -> None:
    client.ConfirmEvents(request(models.ConfirmEventsRequest, EventHandles=handles))


def error_code(call) -> str:
    with pytest.raises(TencentCloudSDKException) as err:
        call()
    return err.value.get_code()


# --- ModifyEventConfig / DescribeEventConfig ---------------------------------------------------------------


def test_an_app_that_never_configured_has_push_mode_without_url(server):
    _, client = new_app(server)
    got = client.DescribeEventConfig(models.DescribeEventConfigRequest())
    assert (got.Mode, got.NotificationUrl) == ("PUSH", "")
    assert (
        got.UploadMediaCompleteEventSwitch,
        got.DeleteMediaCompleteEventSwitch,
        got.PersistenceCompleteEventSwitch,
    ) == ("OFF", "OFF", "OFF")


def test_config_round_trip_changes_only_the_fields_sent(server):
    _, client = new_app(server)
    client.ModifyEventConfig(
        request(
            models.ModifyEventConfigRequest,
            Mode="PUSH",
            NotificationUrl="https://hooks.example.com/vod?x=1",
            UploadMediaCompleteEventSwitch="ON",
            DeleteMediaCompleteEventSwitch="ON",
            PersistenceCompleteEventSwitch="ON",
            SignKey="abcDEF123",
        )
    )
    client.ModifyEventConfig(request(models.ModifyEventConfigRequest, DeleteMediaCompleteEventSwitch="OFF"))
    got = client.DescribeEventConfig(models.DescribeEventConfigRequest())
    assert got.Mode == "PUSH"
    assert got.NotificationUrl == "https://hooks.example.com/vod?x=1"
    assert got.UploadMediaCompleteEventSwitch == "ON"
    assert got.DeleteMediaCompleteEventSwitch == "OFF"
    assert got.PersistenceCompleteEventSwitch == "ON"

    client.ModifyEventConfig(request(models.ModifyEventConfigRequest, Mode="PULL", NotificationUrl=""))
    got = client.DescribeEventConfig(models.DescribeEventConfigRequest())
    assert (got.Mode, got.NotificationUrl, got.UploadMediaCompleteEventSwitch) == ("PULL", "", "ON")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Mode", "push"),
        ("Mode", "WEBHOOK"),
        ("NotificationUrl", "ftp://example.com/hook"),
        ("NotificationUrl", "example.com/hook"),
        ("NotificationUrl", "http://"),
        ("NotificationUrl", "http://host:notaport/"),
        ("UploadMediaCompleteEventSwitch", "on"),
        ("DeleteMediaCompleteEventSwitch", "YES"),
        ("PersistenceCompleteEventSwitch", ""),
        ("SignKey", "has-dash"),
        ("SignKey", "a" * 33),
    ],
)
def test_each_bad_value_is_refused_naming_its_field(server, field, value):
    _, client = new_app(server, Mode="PULL")
    with pytest.raises(TencentCloudSDKException) as err:
        client.ModifyEventConfig(request(models.ModifyEventConfigRequest, **{field: value}))
    assert err.value.get_code() == f"InvalidParameterValue.{field}"
    assert field in err.value.get_message()
    # Nothing changed.
    assert client.DescribeEventConfig(models.DescribeEventConfigRequest()).Mode == "PULL"


# --- PULL over the wire ------------------------------------------------------------------------------------


def test_upload_event_is_pulled_confirmed_and_gone(server, image):
    keys, client = new_app(server, Mode="PULL", UploadMediaCompleteEventSwitch="ON")
    file_id = upload(server, keys, image)
    got = pull(client)
    assert [e.EventType for e in got] == ["NewFileUpload"]
    assert got[0].FileUploadEvent.FileId == file_id
    assert got[0].FileUploadEvent.MediaBasicInfo.Type == "jpg"
    assert got[0].EventHandle
    confirm(client, [got[0].EventHandle])
    started = time.monotonic()
    assert pull(client) == []
    assert time.monotonic() - started >= HOLD * 0.8  # an empty answer comes only after the hold


def test_long_poll_answers_as_soon_as_an_event_arrives(server, image):
    keys, client = new_app(server, Mode="PULL", UploadMediaCompleteEventSwitch="ON")
    result: dict[str, object] = {}

    def poll() -> None:
        started = time.monotonic()
        result["events"] = pull(client)
        result["seconds"] = time.monotonic() - started

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.3)  # let the poll start waiting before the event exists
    file_id = upload(server, keys, image)
    poller.join(timeout=HOLD + 5)
    assert [e.FileUploadEvent.FileId for e in result["events"]] == [file_id]
    assert result["seconds"] < HOLD - 0.5  # it did not sit out the hold


def test_delete_media_emits_file_deleted_only_when_its_switch_is_on(server, image):
    keys, client = new_app(server, Mode="PULL", DeleteMediaCompleteEventSwitch="ON")
    file_id = upload(server, keys, image)  # NewFileUpload is OFF for this app: no event
    client.DeleteMedia(request(models.DeleteMediaRequest, FileId=file_id))
    got = pull(client)
    assert [e.EventType for e in got] == ["FileDeleted"]
    assert got[0].FileDeleteEvent.FileIdSet == [file_id]
    confirm(client, [got[0].EventHandle])

    client.ModifyEventConfig(request(models.ModifyEventConfigRequest, DeleteMediaCompleteEventSwitch="OFF"))
    other = upload(server, keys, image)
    client.DeleteMedia(request(models.DeleteMediaRequest, FileId=other))
    with server.services.db.transaction() as s:
        assert events.pull(s, app_id=keys.sub_app_id, now=utcnow()) == []


def test_another_app_sees_nothing_and_cannot_confirm(server, image):
    keys, client = new_app(server, Mode="PULL", UploadMediaCompleteEventSwitch="ON")
    _, stranger = new_app(server, Mode="PULL", UploadMediaCompleteEventSwitch="ON")
    upload(server, keys, image)
    got = pull(client)
    assert len(got) == 1
    assert pull(stranger) == []
    assert error_code(lambda: confirm(stranger, [got[0].EventHandle])) == "InvalidParameterValue"
    confirm(client, [got[0].EventHandle])


def test_confirm_refuses_unknown_handles_and_bad_batches(server):
    _, client = new_app(server, Mode="PULL")
    assert error_code(lambda: confirm(client, ["no-such-handle"])) == "InvalidParameterValue"
    assert error_code(lambda: confirm(client, [f"h{i}" for i in range(17)])) == "InvalidParameterValue"
    assert error_code(lambda: client.ConfirmEvents(models.ConfirmEventsRequest())) == "MissingParameter"


# --- PULL timing and claiming through the service (time is a parameter) -------------------------------------


@pytest.fixture
def app_id(server) -> int:
    """A fresh PULL app with no events, driven through the service functions."""
    keys = server.new_key()
    with server.services.db.transaction() as s:
        events.modify_config(s, app_id=keys.sub_app_id, mode="PULL")
    return keys.sub_app_id


def emit(server, app_id: int, n: int, *, at) -> list[str]:
    task_ids = [f"task-{i}" for i in range(n)]
    with server.services.db.transaction() as s:
        for task_id in task_ids:
            body = {"ReviewAudioVideoCompleteEvent": {"TaskId": task_id}}
            events.emit(
                s,
                wakeups=server.services.wakeups,
                app_id=app_id,
                event_type="ReviewAudioVideoComplete",
                body=body,
                now=at,
            )
    return task_ids


def take(server, app_id: int, at) -> list[dict]:
    with server.services.db.transaction() as s:
        return events.pull(s, app_id=app_id, now=at)


def settle(server, app_id: int, handles: list[str], at) -> list[str]:
    with server.services.db.transaction() as s:
        return events.confirm(s, app_id=app_id, handles=handles, now=at)


def task_ids(found: list[dict]) -> list[str]:
    return [e["ReviewAudioVideoCompleteEvent"]["TaskId"] for e in found]


def test_unconfirmed_event_reappears_after_30_s_with_a_new_handle(server, app_id):
    t0 = utcnow()
    emit(server, app_id, 1, at=t0)
    first = take(server, app_id, t0)
    assert task_ids(first) == ["task-0"]
    assert take(server, app_id, t0 + timedelta(seconds=29)) == []
    again = take(server, app_id, t0 + timedelta(seconds=30))
    assert task_ids(again) == ["task-0"]
    assert again[0]["EventHandle"] != first[0]["EventHandle"]
    # The first handle died when the event came back; the new one works.
    assert settle(server, app_id, [first[0]["EventHandle"]], t0 + timedelta(seconds=31)) == [
        first[0]["EventHandle"]
    ]
    assert settle(server, app_id, [again[0]["EventHandle"]], t0 + timedelta(seconds=31)) == []
    assert take(server, app_id, t0 + timedelta(minutes=5)) == []


def test_a_handle_older_than_30_s_is_refused_and_the_event_comes_back(server, app_id):
    t0 = utcnow()
    emit(server, app_id, 2, at=t0)
    handles = [e["EventHandle"] for e in take(server, app_id, t0)]
    late = t0 + timedelta(seconds=30)
    # The valid one is confirmed, the late one reported; confirming a confirmed event again is harmless.
    assert settle(server, app_id, handles[:1], t0 + timedelta(seconds=29)) == []
    assert settle(server, app_id, handles, late) == handles[1:]
    assert task_ids(take(server, app_id, late)) == ["task-1"]


def test_at_most_16_events_per_pull_oldest_first(server, app_id):
    t0 = utcnow()
    emitted = emit(server, app_id, 20, at=t0)
    first = take(server, app_id, t0)
    assert task_ids(first) == emitted[:16]
    second = take(server, app_id, t0)
    assert task_ids(second) == emitted[16:]
    assert take(server, app_id, t0) == []
    assert settle(server, app_id, [e["EventHandle"] for e in first], t0) == []


def test_events_older_than_4_days_are_dropped(server, app_id):
    t0 = utcnow()
    emit(server, app_id, 1, at=t0)
    assert take(server, app_id, t0 + timedelta(days=4, seconds=1)) == []
    with server.services.db.transaction() as s:
        assert events.purge(s, now=t0 + timedelta(days=4, seconds=1)) >= 1


def test_concurrent_pulls_never_hand_out_the_same_event(server, app_id):
    t0 = utcnow()

    def grab(barrier: threading.Barrier, results: list[list[dict]], slot: int) -> None:
        barrier.wait()
        results[slot] = take(server, app_id, t0)

    for _round in range(5):
        emit(server, app_id, 16, at=t0)
        barrier = threading.Barrier(2)
        results: list[list[dict]] = [[], []]
        threads = [threading.Thread(target=grab, args=(barrier, results, i)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        handles = [e["EventHandle"] for r in results for e in r]
        assert len(handles) == 16 == len(set(handles))
        assert settle(server, app_id, handles, t0) == []


def test_events_keep_the_mode_they_were_written_under(server, app_id):
    t0 = utcnow()
    emit(server, app_id, 1, at=t0)
    with server.services.db.transaction() as s:
        events.modify_config(
            s, app_id=app_id, mode="PUSH", notification_url="http://127.0.0.1:9/hook",
            allow=AllowList.parse(server.settings.notify_allow),
        )  # fmt: skip
    emit(server, app_id, 1, at=t0)  # written as a PUSH event: not pullable
    got = take(server, app_id, t0)
    assert task_ids(got) == ["task-0"] and len(got) == 1
    settle(server, app_id, [got[0]["EventHandle"]], t0)
