"""The example app backend runs the seed's flow against a real server."""

from __future__ import annotations

import time

import httpx

from examples.app_backend import AppBackend, serve
from tests.paths import fixture_path
from tests.ports import free_port


def test_example_backend_publishes_clean_media_and_blocks_ads(server, keys):
    backend = AppBackend(server.endpoint, keys.secret_id, keys.secret_key)
    backend.setup()
    port = free_port()
    httpd = serve(backend, port)
    try:
        uploaded = {}
        for name in ("silent.mp4", "text_video.mp4"):
            signature = httpx.get(f"http://127.0.0.1:{port}/signature").json()["signature"]
            with fixture_path(name).open("rb") as f:
                resp = httpx.post(
                    f"{server.url}/upload", data={"signature": signature}, files={"file": (name, f)}
                )
            assert resp.status_code == 200, resp.text
            uploaded[name] = resp.json()["FileId"]
        deadline = time.monotonic() + 300
        while len(backend.decisions) < 2 and time.monotonic() < deadline:
            backend.pull_once()
        assert backend.decisions[uploaded["silent.mp4"]] == "pass"
        assert backend.decisions[uploaded["text_video.mp4"]] in ("review", "block")
        play = httpx.get(f"http://127.0.0.1:{port}/play/{uploaded['silent.mp4']}").json()["url"]
        assert httpx.get(play).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/play/{uploaded['text_video.mp4']}").status_code == 403
    finally:
        httpd.shutdown()
