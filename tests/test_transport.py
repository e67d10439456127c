"""The API 3.0 transport: signatures, error codes and the response envelope, through the official SDK."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.vod.v20180717 import models

from tests import rawapi
from tests.conftest import vod_client
from tests.server import start_server


def sdk_error(fn, *args) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as err:
        fn(*args)
    return err.value


def describe_templates(client):
    return client.DescribeReviewTemplates(models.DescribeReviewTemplatesRequest())


def test_tc3_request_succeeds_and_lists_the_preset(vod):
    resp = describe_templates(vod)
    assert resp.RequestId
    assert [t.Definition for t in resp.ReviewTemplateSet] == [10]
    assert resp.ReviewTemplateSet[0].Labels == ["Porn", "Terror", "Polity", "Moan"]


@pytest.mark.parametrize("method", ["HmacSHA1", "HmacSHA256"])
def test_legacy_signatures_are_accepted(server, keys, method):
    client = vod_client(server, keys.secret_id, keys.secret_key, sign_method=method)
    req = models.CreateReviewTemplateRequest()
    req.Labels = ["Porn", "Ad"]
    req.Name = "legacy"
    definition = client.CreateReviewTemplate(req).Definition
    got = client.DescribeReviewTemplates(models.DescribeReviewTemplatesRequest()).ReviewTemplateSet
    assert {t.Definition: t.Labels for t in got}[definition] == ["Porn", "Ad"]


def test_wrong_secret_key_is_signature_failure(server, keys):
    err = sdk_error(describe_templates, vod_client(server, keys.secret_id, "x" * 32))
    assert err.get_code() == "AuthFailure.SignatureFailure"
    assert err.get_request_id()


def test_legacy_wrong_key_is_signature_failure(server, keys):
    client = vod_client(server, keys.secret_id, "wrong", sign_method="HmacSHA256")
    assert sdk_error(describe_templates, client).get_code() == "AuthFailure.SignatureFailure"


def test_unknown_secret_id(server):
    err = sdk_error(describe_templates, vod_client(server, "AKIDnobody", "x"))
    assert err.get_code() == "AuthFailure.SecretIdNotFound"


@pytest.mark.parametrize("skew", [-400, 400])
def test_clock_skew_over_five_minutes_is_signature_expire(server, keys, skew):
    resp = rawapi.call(
        server.url, server.endpoint, keys, "DescribeReviewTemplates", {}, timestamp=int(time.time()) + skew
    )
    assert resp.json()["Response"]["Error"]["Code"] == "AuthFailure.SignatureExpire"


def test_signature_is_checked_against_the_host_as_received(server, keys):
    body = b"{}"
    headers = rawapi.tc3_headers(
        keys.secret_id, keys.secret_key, "DescribeReviewTemplates", body, "127.0.0.1:1"
    )
    resp = httpx.post(server.url + "/", content=body, headers={**headers, "Host": server.endpoint})
    assert resp.json()["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"
    # localhost:PORT is signed as sent, so it works too.
    client = vod_client(server, keys.secret_id, keys.secret_key)
    client.profile.httpProfile.endpoint = f"localhost:{server.settings.port}"
    assert describe_templates(client).ReviewTemplateSet


def test_every_answer_is_200_json_with_request_id(server, keys):
    ok = rawapi.call(server.url, server.endpoint, keys, "DescribeReviewTemplates", {})
    bad = rawapi.call(server.url, server.endpoint, keys, "NoSuchThing", {})
    for resp in (ok, bad):
        assert resp.status_code == 200
        assert resp.headers["content-type"] == "application/json"
        assert len(resp.json()["Response"]["RequestId"]) == 36


def test_unknown_action_is_invalid_action(vod):
    err = sdk_error(vod.call_json, "DescribeEverything", {})
    assert err.get_code() == "InvalidAction"


def test_missing_required_field_names_it(vod):
    err = sdk_error(vod.DescribeMediaInfos, models.DescribeMediaInfosRequest())
    assert err.get_code() == "MissingParameter"
    assert "FileIds" in err.get_message()


def test_wrong_type_is_invalid_parameter(vod):
    err = sdk_error(vod.call_json, "DescribeMediaInfos", {"FileIds": {"a": 1}})
    assert err.get_code() == "InvalidParameter"
    assert "FileIds" in err.get_message()


def test_bad_value_is_invalid_parameter_value_naming_the_field(vod):
    req = models.CreateReviewTemplateRequest()
    req.Labels = ["Porn", "Gossip"]
    err = sdk_error(vod.CreateReviewTemplate, req)
    assert err.get_code() == "InvalidParameterValue.Labels"
    assert "Labels" in err.get_message() and "Gossip" in err.get_message()


def test_bad_json_body_is_invalid_parameter(server, keys):
    resp = rawapi.call(server.url, server.endpoint, keys, "DescribeReviewTemplates", body=b"{not json")
    assert resp.json()["Response"]["Error"]["Code"] == "InvalidParameter"


def test_body_that_is_not_an_object_is_invalid_parameter(server, keys):
    resp = rawapi.call(server.url, server.endpoint, keys, "DescribeReviewTemplates", body=b"[1, 2]")
    assert resp.json()["Response"]["Error"]["Code"] == "InvalidParameter"


def test_oversize_body_is_refused_with_a_code(server, keys):
    big = json.dumps({"Name": "x" * (2 << 20)}).encode()
    resp = rawapi.call(server.url, server.endpoint, keys, "DescribeReviewTemplates", body=big)
    assert resp.status_code == 200
    assert resp.json()["Response"]["Error"]["Code"] == "RequestSizeLimitExceeded"


def test_unsupported_procedure_task_is_unsupported_operation(vod):
    err = sdk_error(
        vod.call_json,
        "CreateProcedureTemplate",
        {"Name": "transcode", "MediaProcessTask": {"TranscodeTaskSet": []}},
    )
    assert err.get_code() == "UnsupportedOperation"


def test_sub_app_id_of_another_app_is_refused(server, vod):
    other = server.new_key()
    req = models.DescribeReviewTemplatesRequest()
    req.SubAppId = other.sub_app_id
    assert sdk_error(vod.DescribeReviewTemplates, req).get_code() == "AuthFailure.UnauthorizedOperation"


def test_request_rate_limit(tmp_path):
    running = start_server(tmp_path, background=False, request_rate_per_app=3)
    try:
        keys = running.new_key()

        def call(_: int) -> str:
            try:
                describe_templates(vod_client(running, keys.secret_id, keys.secret_key))
                return "ok"
            except TencentCloudSDKException as exc:
                return str(exc.get_code())

        # all eight at once, so that they land within about one second however slow the machine (one after another,
        # a loaded machine spread them over three seconds, and each second let three through)
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(call, range(8)))
        assert "RequestLimitExceeded" in codes
        # three a second: a sliding second in memory, a wall-clock second in Redis, which a burst may straddle
        assert codes.count("ok") <= 6
    finally:
        running.stop()


def test_revoked_key_is_refused(server):
    from vodguard.services import apps
    from vodguard.timeutil import utcnow

    pair = server.new_key()
    client = vod_client(server, pair.secret_id, pair.secret_key)
    describe_templates(client)
    with server.services.db.transaction() as s:
        apps.revoke_key(s, secret_id=pair.secret_id, now=utcnow())
    assert sdk_error(describe_templates, client).get_code() == "AuthFailure.SecretIdNotFound"


# Replays (audit D11): TC3 does not sign X-TC-Action, so each signature is accepted for a few seconds only.


def test_a_captured_request_sent_again_later_is_refused_even_as_another_action(server, keys, vod):
    from vodguard.services.replay import REPEAT_GRACE

    body = json.dumps({"Name": "replayed-once", "Labels": ["Porn"]}).encode()
    captured = rawapi.tc3_headers(
        keys.secret_id, keys.secret_key, "CreateReviewTemplate", body, server.endpoint
    )
    first = httpx.post(server.url + "/", content=body, headers=captured).json()["Response"]
    assert "Definition" in first, first
    time.sleep(REPEAT_GRACE.total_seconds() + 0.5)  # well inside the 300 s clock window
    for action in ("CreateReviewTemplate", "DeleteReviewTemplate", "DescribeReviewTemplates"):
        again = httpx.post(server.url + "/", content=body, headers={**captured, "X-TC-Action": action})
        error = again.json()["Response"]["Error"]
        assert error["Code"] == "AuthFailure.SignatureFailure" and "already used" in error["Message"], error
    names = [t.Name for t in describe_templates(vod).ReviewTemplateSet]
    assert names.count("replayed-once") == 1


def test_identical_requests_signed_in_one_second_all_pass(server, keys, vod):
    # The SDK signs whole seconds without a nonce: these share one signature, as polling clients' requests do.
    ts = int(time.time())
    for action in ("DescribeReviewTemplates", "DescribeReviewTemplates", "DescribeProcedureTemplates"):
        answer = rawapi.call(server.url, server.endpoint, keys, action, {}, timestamp=ts).json()["Response"]
        assert "Error" not in answer, answer
    for _ in range(5):  # what tests.sdk.wait_finished does, a little faster
        assert describe_templates(vod).ReviewTemplateSet
        time.sleep(0.2)


def test_seen_signatures_are_refused_after_the_grace_and_swept_after_the_clock_window(server):
    from datetime import timedelta

    from vodguard.errors import SignatureFailure
    from vodguard.services import replay
    from vodguard.timeutil import utcnow

    now, expires = utcnow(), utcnow() + timedelta(seconds=360)
    seen = {"secret_id": "AKIDreplay", "signature": "ab" * 32, "expires_at": expires}
    with server.services.db.transaction() as s:
        replay.remember_signature(s, action="PullEvents", now=now, **seen)
    with server.services.db.transaction() as s:
        replay.remember_signature(s, action="DescribeTasks", now=now + replay.REPEAT_GRACE, **seen)
        with pytest.raises(SignatureFailure, match="already used"):
            replay.remember_signature(s, action="DeleteMedia", now=now + timedelta(seconds=4), **seen)
    with server.services.db.transaction() as s:
        assert replay.sweep_expired(s, now=expires) >= 1
        replay.remember_signature(s, action="DeleteMedia", now=expires, **seen)  # forgotten: new again
