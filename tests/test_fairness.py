"""One app cannot starve another (audit D5): per-app slots on the API, long polls without threads, and a
bounded ReviewImage. Real servers, the official SDK, real concurrent clients."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from PIL import Image
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.vod.v20180717 import models

from tests.conftest import vod_client
from tests.media import make_image
from tests.server import RunningServer, start_server


def _media_infos_request() -> models.DescribeMediaInfosRequest:
    req = models.DescribeMediaInfosRequest()
    req.FileIds = ["5285485487985271487"]
    return req


def _outcome(call: Callable[[], object]) -> str:
    try:
        call()
    except TencentCloudSDKException as exc:
        return exc.get_code()
    return "OK"


def _wait_until(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the flood never reached the server"
        time.sleep(0.02)


def _upload(server: RunningServer, keys, path: Path) -> str:
    token = base64.b64encode(f"{keys.secret_id}:{keys.secret_key}".encode()).decode()
    with path.open("rb") as f:
        resp = httpx.post(
            f"{server.url}/upload", files={"file": (path.name, f)},
            headers={"Authorization": f"Basic {token}"}, timeout=60,
        )  # fmt: skip
    assert resp.status_code == 200, resp.text
    return resp.json()["FileId"]


def _review_image(vod, file_id: str) -> models.ReviewImageResponse:
    req = models.ReviewImageRequest()
    req.FileId, req.Definition = file_id, 10
    return vod.ReviewImage(req)


def test_a_flood_of_long_polls_gets_the_limit_error_and_other_apps_are_served(tmp_path):
    server = start_server(
        tmp_path, background=False, app_concurrency=4, concurrency_wait_seconds=0.5, pull_hold_seconds=3
    )
    try:
        a, b = server.new_key(), server.new_key()
        vod_b = vod_client(server, b.secret_id, b.secret_key)

        def pull_as_a() -> str:
            vod_a = vod_client(server, a.secret_id, a.secret_key)
            return _outcome(lambda: vod_a.PullEvents(models.PullEventsRequest()))

        with ThreadPoolExecutor(max_workers=20) as pool:
            flood = [pool.submit(pull_as_a) for _ in range(20)]
            _wait_until(lambda: server.services.app_slots.in_flight(a.sub_app_id) == 4)
            other = [_outcome(lambda: vod_b.DescribeMediaInfos(_media_infos_request())) for _ in range(10)]
            outcomes = [f.result() for f in flood]
        assert other == ["OK"] * 10
        assert outcomes.count("OK") >= 4
        assert outcomes.count("RequestLimitExceeded") >= 10
        assert set(outcomes) <= {"OK", "RequestLimitExceeded"}
    finally:
        server.stop()


def test_long_polls_hold_no_thread_while_they_wait(tmp_path):
    # More polls than Starlette's 40 threads: when each held a thread, the other app waited for them to end.
    server = start_server(tmp_path, background=False, app_concurrency=100, pull_hold_seconds=4)
    try:
        a, b = server.new_key(), server.new_key()
        vod_b = vod_client(server, b.secret_id, b.secret_key)
        polls_ended: list[float] = []
        lock = threading.Lock()

        def pull_as_a() -> str:
            vod_a = vod_client(server, a.secret_id, a.secret_key)
            outcome = _outcome(lambda: vod_a.PullEvents(models.PullEventsRequest()))
            with lock:
                polls_ended.append(time.monotonic())
            return outcome

        with ThreadPoolExecutor(max_workers=60) as pool:
            flood = [pool.submit(pull_as_a) for _ in range(60)]
            _wait_until(lambda: server.services.app_slots.in_flight(a.sub_app_id) == 60)
            other = [_outcome(lambda: vod_b.DescribeMediaInfos(_media_infos_request())) for _ in range(5)]
            served_at = time.monotonic()
            outcomes = [f.result() for f in flood]
        assert other == ["OK"] * 5
        assert outcomes == ["OK"] * 60
        assert min(polls_ended) > served_at, "the other app was answered only after the long polls ended"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def image_server(tmp_path_factory: pytest.TempPathFactory):
    running = start_server(
        tmp_path_factory.mktemp("data"), review_image_concurrency=1, concurrency_wait_seconds=0.05
    )
    yield running
    running.stop()


def test_review_image_refuses_a_picture_over_the_pixel_limit_from_its_header(image_server, tmp_path):
    keys = image_server.new_key()
    vod = vod_client(image_server, keys.secret_id, keys.secret_key)
    big = tmp_path / "big.png"
    Image.new("1", (8000, 5000)).save(big)  # 40 megapixels in a file of a few kilobytes
    assert big.stat().st_size < 100_000
    file_id = _upload(image_server, keys, big)
    with pytest.raises(TencentCloudSDKException) as err:
        _review_image(vod, file_id)
    assert err.value.get_code() == "InvalidParameterValue.FileId"
    # the header check's message (media.check_image), not a decoder's
    assert "8000x5000 pixels is over the limit of 25000000" in err.value.get_message()
    assert "VODGUARD_REVIEW_IMAGE_MAX_PIXELS" in err.value.get_message()


def test_review_image_runs_a_bounded_number_at_once(image_server, tmp_path):
    keys = image_server.new_key()
    file_ids = [
        _upload(image_server, keys, make_image(tmp_path / f"calm{i}.png", color=(10 * i, 120, 200)))
        for i in range(6)
    ]

    def review(file_id: str) -> str:
        vod = vod_client(image_server, keys.secret_id, keys.secret_key)
        return _outcome(lambda: _review_image(vod, file_id))

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(review, file_ids))
    assert "OK" in outcomes and "LimitExceeded" in outcomes
    assert set(outcomes) <= {"OK", "LimitExceeded"}
