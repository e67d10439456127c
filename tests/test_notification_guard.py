"""A NotificationUrl cannot reach into the server's own network (audit D4): refused when set and when delivering."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.vod.v20180717 import models

from tests.conftest import vod_client
from tests.server import RunningServer, start_server
from tests.test_push import FAST, Receiver, emit_push, pending, wait_for
from vodguard.config import Settings
from vodguard.services import apps, events, push
from vodguard.services.container import Services, open_services
from vodguard.services.destinations import AllowList
from vodguard.timeutil import utcnow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("data"), background=False)  # the defaults: public only
    yield running
    running.stop()


def modify(server: RunningServer, url: str):
    keys = server.new_key()
    client = vod_client(server, keys.secret_id, keys.secret_key)
    req = models.ModifyEventConfigRequest()
    req.from_json_string(json.dumps({"Mode": "PUSH", "NotificationUrl": url}))
    client.ModifyEventConfig(req)
    return client


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1:18155/internal-admin/do?x=1", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),  # cloud metadata
        ("http://10.1.2.3/hook", "private"),
        ("https://192.168.0.10:8443/hook", "private"),
        ("http://[::1]:8080/hook", "loopback"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),
        ("http://localhost:8080/hook", "loopback"),  # a name that resolves to loopback
        ("http://2130706433/hook", "loopback"),  # 127.0.0.1 written as one number
    ],
)
def test_notification_url_into_the_servers_network_is_refused(server, url, kind):
    with pytest.raises(TencentCloudSDKException) as err:
        modify(server, url)
    assert err.value.get_code() == "InvalidParameterValue.NotificationUrl"
    message = err.value.get_message()
    assert message.startswith("NotificationUrl") and f"{kind} address" in message
    assert "VODGUARD_NOTIFY_ALLOW" in message


def test_a_public_address_or_a_name_that_does_not_resolve_yet_is_accepted(server):
    for url in ("http://93.184.215.14/hook", "https://hooks.invalid/vod"):
        client = modify(server, url)
        assert client.DescribeEventConfig(models.DescribeEventConfigRequest()).NotificationUrl == url


def test_the_allow_list_lets_named_hosts_and_networks_through(tmp_path: Path):
    running = start_server(tmp_path / "data", background=False, notify_allow="localhost, 10.0.0.0/8")
    try:
        for url in ("http://localhost:9000/hook", "http://10.1.2.3/hook"):
            modify(running, url)
        with pytest.raises(TencentCloudSDKException) as err:
            modify(running, "http://127.0.0.1:9000/hook")  # listed by name only, not by address
        assert err.value.get_code() == "InvalidParameterValue.NotificationUrl"
    finally:
        running.stop()


def test_a_bad_allow_list_entry_is_refused_at_start_up(tmp_path: Path):
    with pytest.raises(ValidationError, match="'bad host!' is not a host name"):
        Settings(data_dir=tmp_path, notify_allow="10.0.0.0/8, bad host!")


# --- At delivery: the address is checked as the dispatcher connects ------------------------------------------


def deliver_to(tmp_path: Path, receiver: Receiver, *, notify_allow: str) -> tuple[Services, push.Dispatcher]:
    """A data dir whose one app had ``http://localhost:<port>`` accepted (the name was public then: DNS rebinding
    or a URL saved before this check existed), with one event due and a dispatcher running with ``notify_allow``."""
    services = open_services(Settings(data_dir=tmp_path / "data", notify_allow=notify_allow))
    url = f"http://localhost:{receiver.port}/vod-events"
    with services.db.transaction() as s:
        app_id = apps.create_key(s, now=utcnow()).sub_app_id
        events.modify_config(
            s, app_id=app_id, mode="PUSH", notification_url=url, allow=AllowList.parse("localhost")
        )
    emit_push(services, app_id, [("t1", "f1")])
    dispatcher = push.Dispatcher(services, backoff=FAST)
    dispatcher.run_once()
    return services, dispatcher


def test_delivery_to_a_name_that_now_resolves_to_loopback_is_refused(tmp_path: Path):
    receiver = Receiver().start()
    services, dispatcher = deliver_to(tmp_path, receiver, notify_allow="")
    try:
        wait_for(lambda: pending(services)[0].last_error)
        (event,) = pending(services)
        assert "DestinationRefused: localhost resolves to" in event.last_error
        assert "a loopback address" in event.last_error
        assert receiver.attempts == []  # nothing was sent
    finally:
        dispatcher.close()
        services.close()
        receiver.stop()


def test_delivery_to_an_allowed_loopback_receiver_arrives(tmp_path: Path):
    receiver = Receiver().start()
    services, dispatcher = deliver_to(tmp_path, receiver, notify_allow="localhost")
    try:
        wait_for(lambda: receiver.delivered and not pending(services))
        assert [b["ReviewAudioVideoCompleteEvent"]["TaskId"] for b in receiver.delivered] == ["t1"]
    finally:
        dispatcher.close()
        services.close()
        receiver.stop()
