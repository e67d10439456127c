"""Malformed input gets a typed answer, never a traceback (audit D7, D8, D10, and the required Version).

Unicode digits (``²`` passes ``str.isdigit()`` but not ``int()``), thousands of digits (``int()`` refuses over
4,300), integers past 2^63, lone surrogates and deep nesting, wherever they can enter: API headers and bodies,
legacy forms, upload signatures, COS part numbers, Range headers, evidence names and the console sign-in.
"""

from __future__ import annotations

import base64
import http.client
import time

import httpx
import pytest
from qcloud_cos.cos_exception import CosServiceError
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.vod.v20180717 import models

from tests import rawapi
from tests.media import make_video
from tests.test_console import Console
from tests.test_uploads import apply, basic, cos_for

HUGE = "9" * 5000


def code_of(resp: httpx.Response) -> str:
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
    return resp.json()["Response"].get("Error", {}).get("Code", "OK")


def message_of(resp: httpx.Response) -> str:
    return resp.json()["Response"]["Error"]["Message"]


def tc3(server, keys, action: str, body: bytes, **header_overrides: str | None) -> httpx.Response:
    headers = rawapi.tc3_headers(keys.secret_id, keys.secret_key, action, body, server.endpoint)
    for name, value in header_overrides.items():
        header = name.replace("_", "-")
        if value is None:
            headers.pop(header)
        else:
            headers[header] = value
    raw = {k: v.encode("latin-1") for k, v in headers.items()}
    return httpx.post(server.url + "/", content=body, headers=raw, timeout=30)


# API 3.0 transport


@pytest.mark.parametrize("timestamp", ["\xb2", "\xb9", HUGE, "9" * 20, "12a"])
def test_tc3_timestamp_that_is_not_ascii_seconds_is_missing_parameter(server, keys, timestamp):
    resp = tc3(server, keys, "DescribeReviewTemplates", b"{}", X_TC_Timestamp=timestamp)
    assert code_of(resp) == "MissingParameter"
    assert "X-TC-Timestamp" in message_of(resp)


def test_tc3_timestamp_far_in_the_future_is_signature_expire(server, keys):
    resp = tc3(server, keys, "DescribeReviewTemplates", b"{}", X_TC_Timestamp="9" * 18)
    assert code_of(resp) == "AuthFailure.SignatureExpire"


@pytest.mark.parametrize("timestamp", ["\xb2", HUGE])
def test_legacy_timestamp_that_is_not_ascii_seconds_is_signature_failure(server, timestamp):
    body = f"Action=DescribeReviewTemplates&SecretId=AKIDx&Signature=x&Timestamp={timestamp}".encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert (
        code_of(httpx.post(server.url + "/", content=body, headers=headers)) == "AuthFailure.SignatureFailure"
    )


@pytest.mark.parametrize("index", ["²", HUGE[:50]])
def test_legacy_list_index_that_is_not_ascii_digits_is_invalid_parameter(server, keys, index):
    pairs = [(f"FileIds.{index}", "1")]
    resp = rawapi.legacy_call(server.url, server.endpoint, keys, "DescribeMediaInfos", pairs)
    assert code_of(resp) == "InvalidParameter"
    assert "FileIds" in message_of(resp)


def test_deeply_nested_body_is_not_parsed_before_the_signature_check(server, keys):
    deep = b"[" * 100_000 + b"]" * 100_000
    unsigned = tc3(server, keys, "DescribeReviewTemplates", deep, Authorization=None)
    assert code_of(unsigned) == "MissingParameter"  # no Authorization: a legacy form without its fields
    forged = rawapi.tc3_headers(keys.secret_id, "wrong", "DescribeReviewTemplates", deep, server.endpoint)
    resp = httpx.post(server.url + "/", content=deep, headers=forged, timeout=30)
    assert code_of(resp) == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_signed_body_is_invalid_parameter(server, keys, depth):
    body = b'{"Name":' * depth + b"1" + b"}" * depth
    resp = rawapi.call(server.url, server.endpoint, keys, "CreateReviewTemplate", body=body)
    assert code_of(resp) == "InvalidParameter"
    assert "nested" in message_of(resp)


@pytest.mark.parametrize(
    ("action", "params", "field"),
    [
        ("DescribeReviewTemplates", {"Definitions": [2**63]}, "Definitions[0]"),
        ("DescribeReviewTemplates", {"Offset": 2**63}, "Offset"),
        ("DescribeReviewTemplates", {"Offset": -(2**63) - 1}, "Offset"),
        ("ReviewAudioVideo", {"FileId": "1", "Definition": 2**64}, "Definition"),
        ("DescribeReviewDecisions", {"Offset": 10**30}, "Offset"),
        (
            "CreateProcedureTemplate",
            {"Name": "p", "ReviewAudioVideoTask": {"Definition": 2**63}},
            "Definition",
        ),
        ("ApplyUpload", {"MediaType": "mp4", "ClassId": 18446744073709551616}, "ClassId"),
    ],
)
def test_integers_past_signed_64_bits_are_invalid_parameter_value(server, keys, action, params, field):
    resp = rawapi.call(server.url, server.endpoint, keys, action, params)
    assert code_of(resp) == "InvalidParameterValue"
    assert field in message_of(resp)


def test_largest_signed_64_bit_offset_is_accepted(server, keys):
    params = {"Offset": 2**63 - 1}
    assert code_of(rawapi.call(server.url, server.endpoint, keys, "DescribeReviewTemplates", params)) == "OK"


def test_scroll_token_with_an_offset_past_64_bits_is_refused(server, keys):
    token = base64.urlsafe_b64encode(b"o:" + b"9" * 19).decode()
    resp = rawapi.call(server.url, server.endpoint, keys, "DescribeTasks", {"ScrollToken": token})
    assert code_of(resp) == "InvalidParameterValue.ScrollToken"


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("DescribeMediaInfos", {"FileIds": ["\ud800"]}),
        ("DescribeTaskDetail", {"TaskId": "a\udfff"}),
        ("CommitUpload", {"VodSessionKey": "\ud800"}),
        ("ConfirmEvents", {"EventHandles": ["\udc00"]}),
        ("CreateReviewTemplate", {"Name": "\ud800", "Labels": ["Porn"]}),
    ],
)
def test_lone_surrogates_are_invalid_parameter_value(server, keys, action, params):
    resp = rawapi.call(server.url, server.endpoint, keys, action, params)  # json.dumps escapes them as \udXXX
    assert code_of(resp) == "InvalidParameterValue"
    assert "surrogate" in message_of(resp)


# Version, a required common parameter


def test_signed_request_without_x_tc_version_is_missing_parameter(server, keys):
    resp = tc3(server, keys, "DescribeReviewTemplates", b"{}", X_TC_Version=None)
    assert code_of(resp) == "MissingParameter"
    assert "Version" in message_of(resp)


def test_legacy_request_without_version_is_missing_parameter(server, keys):
    resp = rawapi.legacy_call(server.url, server.endpoint, keys, "DescribeReviewTemplates", [], version=None)
    assert code_of(resp) == "MissingParameter"
    assert "Version" in message_of(resp)


def test_the_sdk_sends_version_and_is_accepted(vod):
    assert vod.DescribeReviewTemplates(models.DescribeReviewTemplatesRequest()).ReviewTemplateSet


# Uploads (D8, D10)


def test_apply_upload_class_id_past_64_bits_is_refused_before_the_session_opens(vod):
    with pytest.raises(TencentCloudSDKException) as err:
        apply(vod, ClassId=2**64)
    assert err.value.get_code() == "InvalidParameterValue"
    assert "ClassId" in err.value.get_message()


def test_form_upload_class_id_past_64_bits_is_400(server, keys):
    data = {"classId": "18446744073709551616"}
    resp = httpx.post(
        f"{server.url}/upload", data=data, files={"file": ("a.mp4", b"123")}, headers=basic(keys)
    )
    assert resp.status_code == 400
    assert resp.json()["Error"]["Code"] == "InvalidParameterValue.ClassId"


@pytest.mark.parametrize("path", ["/n1.mp4\n", "/a/b.mp4\n"])
def test_media_storage_path_with_a_trailing_newline_is_refused(vod, path):
    with pytest.raises(TencentCloudSDKException) as err:
        apply(vod, MediaStoragePath=path)
    assert err.value.get_code() == "InvalidParameterValue.MediaStoragePath"


@pytest.mark.parametrize("expire", ["%C2%B2", HUGE])
def test_upload_signature_with_non_ascii_or_huge_times_is_auth_failure(server, keys, expire):
    original = f"secretId={keys.secret_id}&currentTimeStamp={int(time.time())}&expireTime={expire}&random=1"
    signature = base64.b64encode(b"\0" * 20 + original.encode()).decode()
    resp = httpx.post(f"{server.url}/upload", data={"signature": signature}, files={"file": ("a.mp4", b"1")})
    assert resp.status_code == 401
    assert resp.json()["Error"]["Code"] == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize("number", ["²", HUGE, "9" * 30])
def test_cos_part_number_that_is_not_ascii_digits_is_invalid_argument(server, vod, number):
    applied = apply(vod)
    cos = cos_for(server, applied)
    key = applied.MediaStoragePath[1:]
    upload_id = cos.create_multipart_upload(Bucket=applied.StorageBucket, Key=key)["UploadId"]
    with pytest.raises(CosServiceError) as err:
        cos.upload_part(
            Bucket=applied.StorageBucket, Key=key, Body=b"x", PartNumber=number, UploadId=upload_id
        )
    assert err.value.get_status_code() == 400
    assert err.value.get_error_code() == "InvalidArgument"


def test_cos_complete_with_a_unicode_part_number_is_malformed_xml(server, vod):
    applied = apply(vod)
    cos = cos_for(server, applied)
    key = applied.MediaStoragePath[1:]
    upload_id = cos.create_multipart_upload(Bucket=applied.StorageBucket, Key=key)["UploadId"]
    with pytest.raises(CosServiceError) as err:
        cos.complete_multipart_upload(
            Bucket=applied.StorageBucket, Key=key, UploadId=upload_id,
            MultipartUpload={"Part": [{"PartNumber": "²", "ETag": '"x"'}]},
        )  # fmt: skip
    assert err.value.get_status_code() == 400
    assert err.value.get_error_code() == "MalformedXML"


# Media URLs


@pytest.fixture(scope="module")
def media_url(server, keys, tmp_path_factory) -> tuple[str, int]:
    video = make_video(tmp_path_factory.mktemp("media") / "clip.mp4", seconds=1)
    resp = httpx.post(
        f"{server.url}/upload",
        files={"file": ("clip.mp4", video.read_bytes())},
        headers=basic(keys),
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    return resp.json()["MediaUrl"], video.stat().st_size


@pytest.mark.parametrize(
    ("header", "status", "length"),
    [
        (f"bytes={HUGE}-", 416, None),
        (f"bytes=0-{HUGE}", 206, "all"),
        (f"bytes=-{HUGE}", 206, "all"),
        ("bytes=0000000000000000000000010-19", 206, 10),
        ("bytes=\xb2-", 416, None),
        ("bytes=0-\xb9", 416, None),
    ],
)
def test_range_with_thousands_of_digits_or_unicode_digits_is_answered(media_url, header, status, length):
    url, size = media_url
    resp = httpx.get(url, headers={"Range": header.encode("latin-1")})
    assert resp.status_code == status
    if length is not None:
        assert len(resp.content) == (size if length == "all" else length)


@pytest.mark.parametrize("name", [".", ".."])
def test_evidence_name_dot_or_dot_dot_is_not_found(server, keys, name):
    signed, _ = server.services.urls.url(f"/evidence/{keys.sub_app_id}/task/a.jpg", ttl=600)
    query = signed.split("?", 1)[1]
    conn = http.client.HTTPConnection("127.0.0.1", server.settings.port, timeout=30)
    try:  # http.client sends the path as written; httpx would resolve the dots first
        conn.request("GET", f"/evidence/{keys.sub_app_id}/task/{name}?{query}")
        assert conn.getresponse().status == 404
    finally:
        conn.close()


# Console sign-in


@pytest.mark.parametrize("app_id", ["²", HUGE, "9" * 23])
def test_console_sign_in_with_unicode_or_huge_app_id_is_refused(server, app_id):
    answer = Console(server).sign_in(app_id=app_id, password="anything at all")
    assert answer.status_code == 401


def test_no_traceback_logged_for_any_of_the_above(server, caplog):
    """A last sweep through the API with every kind of bad value, watching the log for tracebacks."""
    keys = server.new_key()
    bodies = [b'{"FileIds": ["\\ud800"]}', b'{"Offset": 1' + b"0" * 30 + b"}", b"[" * 5000 + b"]" * 5000]
    with caplog.at_level("ERROR"):
        for body in bodies:
            resp = rawapi.call(server.url, server.endpoint, keys, "DescribeMediaInfos", body=body)
            assert code_of(resp) not in ("OK", "InternalError")
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
