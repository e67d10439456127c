"""The console's sign-in lockout (audit D9): per account and client address, counted in the database, and the
client's address taken from X-Forwarded-For only when a trusted proxy sent it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.server import RunningServer, start_server
from tests.test_console import Console
from vodguard.config import Settings
from vodguard.services import apps, signins
from vodguard.timeutil import utcnow

PASSWORD = "correct horse battery"


def app_with_password(server: RunningServer) -> int:
    keys = server.new_key()
    with server.services.db.transaction() as s:
        apps.set_console_password(s, app_id=keys.sub_app_id, password=PASSWORD)
    return keys.sub_app_id


def sign_in(server: RunningServer, app_id: int | str, password: str, forwarded_for: str | None = None) -> int:
    console = Console(server)
    if forwarded_for is not None:
        console.http.headers["X-Forwarded-For"] = forwarded_for
    return console.sign_in(app_id=str(app_id), password=password).status_code


def fail_until_locked(server: RunningServer, app_id: int, forwarded_for: str | None = None) -> None:
    codes = [sign_in(server, app_id, "wrong", forwarded_for) for _ in range(signins.LIMIT)]
    assert codes == [401] * signins.LIMIT


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory):
    """A server behind a proxy on 127.0.0.1 (where the tests connect from): X-Forwarded-For names the client."""
    running = start_server(
        tmp_path_factory.mktemp("proxied"), background=False, workers=0, trusted_proxies="127.0.0.1"
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def direct(tmp_path_factory):
    """A server with no trusted proxy: the TCP peer is the client, whatever X-Forwarded-For says."""
    running = start_server(tmp_path_factory.mktemp("direct"), background=False, workers=0)
    yield running
    running.stop()


def test_lockout_holds_the_locked_address_even_with_the_right_password(behind_proxy):
    app_id = app_with_password(behind_proxy)
    # The client writes whatever it likes left of the proxy's hop; only the proxy's own hop counts.
    codes = [sign_in(behind_proxy, app_id, "wrong", f"10.9.9.{n}, 203.0.113.7") for n in range(signins.LIMIT)]
    assert codes == [401] * signins.LIMIT
    assert sign_in(behind_proxy, app_id, PASSWORD, "203.0.113.7") == 429
    assert sign_in(behind_proxy, f"000{app_id}", PASSWORD, "203.0.113.7") == 429  # the same account


def test_lockout_spares_other_addresses_and_other_accounts(behind_proxy):
    app_id, other_app = app_with_password(behind_proxy), app_with_password(behind_proxy)
    fail_until_locked(behind_proxy, app_id, "203.0.113.8")
    assert sign_in(behind_proxy, app_id, PASSWORD, "198.51.100.9") == 303  # a colleague behind the same proxy
    assert sign_in(behind_proxy, other_app, PASSWORD, "203.0.113.8") == 303  # another account from there


def test_forwarded_for_from_an_untrusted_peer_does_not_dodge_the_lockout(direct):
    app_id = app_with_password(direct)
    codes = [sign_in(direct, app_id, "wrong", f"192.0.2.{n}") for n in range(signins.LIMIT)]
    assert codes == [401] * signins.LIMIT
    assert sign_in(direct, app_id, PASSWORD, "192.0.2.200") == 429


def test_lockout_is_shared_by_every_server_on_the_database(behind_proxy):
    app_id = app_with_password(behind_proxy)
    second = start_server(
        behind_proxy.settings.data_dir, background=False, workers=0, trusted_proxies="127.0.0.1"
    )
    try:
        fail_until_locked(behind_proxy, app_id, "203.0.113.9")
        assert sign_in(second, app_id, PASSWORD, "203.0.113.9") == 429
    finally:
        second.stop()


def test_lockout_lifts_after_the_window_and_old_failures_are_swept(direct):
    subject = signins.subject(account="app:1", address="192.0.2.1")
    now = utcnow()
    with direct.services.db.transaction() as s:
        for _ in range(signins.LIMIT):
            signins.record_failure(s, subject=subject, now=now)
    with direct.services.db.transaction() as s:
        assert signins.locked(s, subject=subject, now=now)
        assert not signins.locked(s, subject=subject, now=now + signins.WINDOW + timedelta(seconds=1))
        assert signins.sweep_expired(s, now=now + signins.WINDOW) >= signins.LIMIT  # other tests' too
        assert not signins.locked(s, subject=subject, now=now)


def test_trusted_proxies_setting_refuses_what_is_not_an_address(tmp_path):
    assert len(Settings(data_dir=tmp_path, trusted_proxies="127.0.0.1, 10.0.0.0/8,::1").trusted_networks) == 3
    with pytest.raises(ValueError, match="'nginx' is not an IP address or CIDR"):
        Settings(data_dir=tmp_path, trusted_proxies="127.0.0.1,nginx")
