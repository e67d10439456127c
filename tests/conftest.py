"""Shared fixtures: a real server per test module, and official-SDK clients aimed at it."""

from __future__ import annotations

import os

import pytest

from tests.server import RunningServer, start_server

# The SDK reads proxy variables itself and would send localhost calls through a proxy (spec §7.4).
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_name, None)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> RunningServer:
    running = start_server(tmp_path_factory.mktemp("data"))
    yield running
    running.stop()


def vod_client(server: RunningServer, secret_id: str, secret_key: str, *, sign_method: str | None = None):
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.vod.v20180717 import vod_client as vc

    profile = ClientProfile(httpProfile=HttpProfile(endpoint=server.endpoint, protocol="http"))
    if sign_method:
        profile.signMethod = sign_method
    return vc.VodClient(credential.Credential(secret_id, secret_key), "ap-guangzhou", profile)


@pytest.fixture(scope="module")
def keys(server: RunningServer):
    return server.new_key()


@pytest.fixture(scope="module")
def vod(server: RunningServer, keys):
    """A tencentcloud VodClient with the module's app key."""
    return vod_client(server, keys.secret_id, keys.secret_key)
