"""Bad input on each HTTP surface gets its surface's error answer: a specific code, a message naming the field, a
RequestId, and never a 5xx (``vodguard/api/error_answers.py``)."""

from __future__ import annotations

import re

import httpx
import pytest
from qcloud_cos.cos_exception import CosServiceError

from tests import rawapi
from tests.test_uploads import apply, basic, cos_for

REQUEST_ID = re.compile(r"^[0-9a-f-]{16,}$")


def test_api_field_of_the_wrong_type_is_named_in_the_envelope(server, keys):
    resp = rawapi.call(server.url, server.endpoint, keys, "DescribeTasks", {"Limit": "ten"})
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
    answer = resp.json()["Response"]
    assert answer["Error"]["Code"] == "InvalidParameter" and "Limit" in answer["Error"]["Message"]
    assert REQUEST_ID.match(answer["RequestId"])


def test_api_missing_field_is_named_in_the_envelope(server, keys):
    resp = rawapi.call(server.url, server.endpoint, keys, "SetReviewDecision", {"FileId": "1"})
    answer = resp.json()["Response"]
    assert (resp.status_code, answer["Error"]["Code"]) == (200, "MissingParameter")
    assert "Decision" in answer["Error"]["Message"] and REQUEST_ID.match(answer["RequestId"])


def test_form_upload_field_of_the_wrong_type_is_named(server, keys):
    resp = httpx.post(
        f"{server.url}/upload",
        data={"classId": "abc"},
        files={"file": ("a.mp4", b"123")},
        headers=basic(keys),
    )
    assert resp.status_code == 400
    answer = resp.json()
    assert (
        answer["Error"]["Code"] == "InvalidParameterValue.ClassId" and "ClassId" in answer["Error"]["Message"]
    )
    assert REQUEST_ID.match(answer["RequestId"])


def test_form_upload_without_a_file_is_missing_parameter(server, keys):
    resp = httpx.post(f"{server.url}/upload", data={"mediaName": "x"}, headers=basic(keys))
    answer = resp.json()
    assert (resp.status_code, answer["Error"]["Code"]) == (400, "MissingParameter")
    assert "'file'" in answer["Error"]["Message"] and REQUEST_ID.match(answer["RequestId"])


def test_object_endpoint_names_the_bad_argument_in_cos_xml(server, vod):
    applied = apply(vod)
    cos = cos_for(server, applied)
    key = applied.MediaStoragePath[1:]
    upload_id = cos.create_multipart_upload(Bucket=applied.StorageBucket, Key=key)["UploadId"]
    with pytest.raises(CosServiceError) as err:
        cos.upload_part(Bucket=applied.StorageBucket, Key=key, Body=b"x", PartNumber=0, UploadId=upload_id)
    assert (err.value.get_status_code(), err.value.get_error_code()) == (400, "InvalidArgument")
    assert "partNumber" in err.value.get_error_msg() and REQUEST_ID.match(err.value.get_request_id())


@pytest.mark.parametrize("path", ["/media/not-a-number/f/media.mp4", "/evidence/1.5/t/a.jpg"])
def test_a_typed_route_parameter_gets_the_envelope_with_a_request_id(server, path):
    # These routes are not the SDK's: HTTP 400, with the API's error body (before: no RequestId, no field name).
    resp = httpx.get(server.url + path)
    assert resp.status_code == 400 and resp.headers["content-type"] == "application/json"
    answer = resp.json()["Response"]
    assert answer["Error"]["Code"].startswith("InvalidParameter") and "app_id" in answer["Error"]["Message"]
    assert REQUEST_ID.match(answer["RequestId"])
