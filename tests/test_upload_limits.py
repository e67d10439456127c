"""Byte budgets on every body the server reads: POST /upload (chunked or not, before and after authentication),
multipart totals on the COS endpoint, the CompleteMultipartUpload part list and console forms.

The server here has a small ``VODGUARD_MAX_UPLOAD_BYTES`` so that an over-limit body stays a few megabytes.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from qcloud_cos.cos_exception import CosServiceError
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.vod.v20180717 import models

from tests.media import make_image
from tests.server import RunningServer, start_server
from tests.test_uploads import apply, cos_for
from vodguard.api.upload_form import SIGNATURE_FIRST_BYTES
from vodguard.services.signatures import sign_upload

LIMIT = 300_000
BUDGET = LIMIT + (1 << 20)  # the file, plus the room /upload leaves for the other form fields
BOUNDARY = "vodguardlimit"
FLOOD = 32 << 20  # more than loopback socket buffers hold, so a server that stops reading is seen to stop


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> RunningServer:
    running = start_server(tmp_path_factory.mktemp("data"), background=False, max_upload_bytes=LIMIT)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Path:
    return make_image(tmp_path_factory.mktemp("media") / "still.jpg")


def basic(secret_id: str, secret_key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{secret_id}:{secret_key}".encode()).decode()}


def spooled_bytes(ignore: frozenset[str] = frozenset()) -> dict[str, int]:
    """Deleted-but-open files of this process in the system temp directory (where form parsers spool), by size,
    but for those in ``ignore`` (pytest's own output capture is one).

    The test server runs in this process, so its spooled upload parts show up here while they exist."""
    out = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith(tempfile.gettempdir()) and target.endswith("(deleted)"):
                if f"{fd}:{target}" not in ignore:
                    out[f"{fd}:{target}"] = os.stat(f"/proc/self/fd/{fd}").st_size
        except OSError:
            continue
    return out


def stored_files(server: RunningServer) -> set[Path]:
    return {p for p in server.settings.blob_dir.rglob("*") if p.is_file()}


@dataclass
class Flooded:
    status: int
    body: bytes
    sent: int  # bytes of the flood the server let in before it answered
    peak_spooled: int  # the largest temp file seen while the flood went on
    baseline: frozenset[str]  # temp files open before the flood

    def error_code(self) -> str:
        return json.loads(self.body)["Error"]["Code"]


def flood(
    server: RunningServer, path: str, *, headers: dict[str, str], content_type: str, prefix: bytes
) -> Flooded:
    """POST ``prefix`` then zero bytes with ``Transfer-Encoding: chunked`` (no Content-Length) until the server
    answers or ``FLOOD`` bytes are sent, watching the temp files this process spools meanwhile."""
    sock = socket.create_connection(("127.0.0.1", server.settings.port), timeout=20)
    head = [f"POST {path} HTTP/1.1", f"Host: {server.endpoint}", "Transfer-Encoding: chunked"]
    head += [f"Content-Type: {content_type}", *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    sent, peak, answered = 0, 0, threading.Event()
    baseline = frozenset(spooled_bytes())

    def send() -> None:
        nonlocal sent
        block = bytes(64 << 10)
        try:
            sock.sendall(b"%x\r\n%s\r\n" % (len(prefix), prefix))
            while sent < FLOOD and not answered.is_set():
                sock.sendall(b"%x\r\n%s\r\n" % (len(block), block))
                sent += len(block)
            end = f"\r\n--{BOUNDARY}--\r\n".encode()
            sock.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(end), end))
        except OSError:  # the server closed the connection, as it may once it has answered
            pass

    def watch() -> None:
        nonlocal peak
        while not answered.is_set():
            peak = max([peak, *spooled_bytes(baseline).values()])
            time.sleep(0.002)

    threads = [threading.Thread(target=send, daemon=True), threading.Thread(target=watch, daemon=True)]
    for t in threads:
        t.start()
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(1 << 16)
        assert data, "the server closed the connection without an answer"
        buf += data
    answered.set()
    head_bytes, _, body = buf.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head_bytes)[1])
    while len(body) < length:
        body += sock.recv(1 << 16)
    sock.shutdown(socket.SHUT_RDWR)  # wakes a sender blocked on a full socket buffer
    for t in threads:
        t.join(timeout=10)
    sock.close()
    return Flooded(int(head_bytes.split()[1]), body, sent, peak, baseline)


def file_part(name: str = "big.mp4") -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()


MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def signature_part(signature: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="signature"\r\n\r\n{signature}\r\n'
    ).encode()


def test_anonymous_upload_with_the_file_before_any_credential_is_refused_at_once(server):
    before = stored_files(server)
    result = flood(server, "/upload", headers={}, content_type=MULTIPART, prefix=file_part())
    assert (result.status, result.error_code()) == (401, "AuthFailure.InvalidAuthorization")
    assert "signature" in json.loads(result.body)["Error"]["Message"]
    assert result.sent < FLOOD // 2  # refused while the body streamed, not after it was all read
    assert result.peak_spooled <= SIGNATURE_FIRST_BYTES  # a stranger gets no more than the first fields' room
    time.sleep(0.1)
    assert spooled_bytes(result.baseline) == {}
    assert stored_files(server) == before


def test_signature_in_the_form_then_an_upload_over_the_limit_is_refused_early_and_leaves_nothing(
    server, keys
):
    before = stored_files(server)
    prefix = signature_part(sign_upload(keys.secret_id, keys.secret_key)) + file_part()
    result = flood(server, "/upload", headers={}, content_type=MULTIPART, prefix=prefix)
    assert result.status == 413
    assert result.error_code() == "RequestSizeLimitExceeded"
    assert "VODGUARD_MAX_UPLOAD_BYTES" in json.loads(result.body)["Error"]["Message"]
    assert result.sent < FLOOD // 2  # refused while the body streamed, not after it was all read
    assert result.peak_spooled <= BUDGET  # spooled at most the budget, never the whole flood
    time.sleep(0.1)
    assert (
        spooled_bytes(result.baseline) == {}
    )  # the spooled part was closed (and so deleted) with the refusal
    assert stored_files(server) == before  # no blob, no staged object


def test_key_holder_chunked_upload_over_the_limit_is_refused(server, keys):
    before = stored_files(server)
    headers = basic(keys.secret_id, keys.secret_key)
    result = flood(server, "/upload", headers=headers, content_type=MULTIPART, prefix=file_part())
    assert (result.status, result.error_code()) == (413, "RequestSizeLimitExceeded")
    assert result.sent < FLOOD // 2 and result.peak_spooled <= BUDGET
    assert stored_files(server) == before


@pytest.mark.parametrize("where", ["basic", "signature-header", "signature-query"])
def test_bad_credentials_outside_the_body_are_refused_before_it_is_read(server, keys, where):
    forged = sign_upload(keys.secret_id, "not-the-key")
    headers = {
        "basic": basic(keys.secret_id, "not-the-key"),
        "signature-header": {"X-Upload-Signature": forged},
        "signature-query": {},
    }[where]
    path = f"/upload?signature={quote(forged)}" if where == "signature-query" else "/upload"
    result = flood(server, path, headers=headers, content_type=MULTIPART, prefix=file_part())
    assert (result.status, result.error_code()) == (401, "AuthFailure.SignatureFailure")
    assert result.peak_spooled == 0  # not one byte of the body was spooled
    assert result.sent < FLOOD // 2


def test_upload_signature_in_a_header_or_the_query_works(server, keys, image):
    for how in ("header", "query"):
        sig = sign_upload(keys.secret_id, keys.secret_key)
        resp = httpx.post(
            f"{server.url}/upload",
            headers={"X-Upload-Signature": sig} if how == "header" else {},
            params={"signature": sig} if how == "query" else {},
            files={"file": ("still.jpg", image.read_bytes())},
        )
        assert resp.status_code == 200, resp.text
        assert httpx.get(resp.json()["MediaUrl"]).content == image.read_bytes()


def test_signature_in_the_form_field_still_works_under_the_budget(server, keys, image):
    sig = sign_upload(keys.secret_id, keys.secret_key)
    resp = httpx.post(
        f"{server.url}/upload", files={"file": ("still.jpg", image.read_bytes())}, data={"signature": sig}
    )
    assert resp.status_code == 200, resp.text


def test_file_over_the_limit_but_under_the_budget_is_refused(server, keys):
    before = stored_files(server)
    resp = httpx.post(
        f"{server.url}/upload",
        files={"file": ("big.mp4", bytes(LIMIT + 1))},
        headers=basic(keys.secret_id, keys.secret_key),
    )
    assert (resp.status_code, resp.json()["Error"]["Code"]) == (413, "RequestSizeLimitExceeded")
    assert stored_files(server) == before


# The COS-compatible endpoint: multipart totals and the part list


def start_multipart(server, vod):
    applied = apply(vod)
    cos = cos_for(server, applied)
    bucket, key = applied.StorageBucket, applied.MediaStoragePath[1:]
    upload_id = cos.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    return applied, cos, {"Bucket": bucket, "Key": key, "UploadId": upload_id}


def commit(vod, applied):
    req = models.CommitUploadRequest()
    req.VodSessionKey = applied.VodSessionKey
    return vod.CommitUpload(req)


def test_multipart_parts_may_not_add_up_past_the_upload_limit(server, vod):
    applied, cos, where = start_multipart(server, vod)
    first = cos.upload_part(Body=b"a" * 200_000, PartNumber=1, **where)
    with pytest.raises(CosServiceError) as err:
        cos.upload_part(Body=b"b" * 200_000, PartNumber=2, **where)
    assert err.value.get_error_code() == "EntityTooLarge"
    part_files = [
        p.name for p in (server.settings.blob_dir / "staging").rglob(f"parts/{where['UploadId']}/*")
    ]
    assert part_files == ["00001"]  # the refused part left nothing behind
    again = cos.upload_part(
        Body=b"c" * 200_000, PartNumber=1, **where
    )  # a part sent again replaces the old one
    assert again["etag"] != first["etag"]
    parts = {"Part": [{"PartNumber": "1", "ETag": again["etag"]}]}
    cos.complete_multipart_upload(MultipartUpload=parts, **where)
    assert commit(vod, applied).MediaUrl


def test_complete_refuses_parts_over_the_limit_and_joins_nothing(server, vod):
    """Parts stored under a higher limit (say, before a restart that lowered it) cannot be joined past the new one."""
    applied, cos, where = start_multipart(server, vod)
    etags = [cos.upload_part(Body=bytes([65 + n]) * 140_000, PartNumber=n, **where)["etag"] for n in (1, 2)]
    parts = {"Part": [{"PartNumber": str(n), "ETag": etags[n - 1]} for n in (1, 2)]}
    server.settings.max_upload_bytes = 200_000
    try:
        with pytest.raises(CosServiceError) as err:
            cos.complete_multipart_upload(MultipartUpload=parts, **where)
    finally:
        server.settings.max_upload_bytes = LIMIT
    assert err.value.get_error_code() == "EntityTooLarge"
    staged = [
        p for p in (server.settings.blob_dir / "staging").rglob("*") if p.is_file() and "parts" not in p.parts
    ]
    assert staged == []
    with pytest.raises(TencentCloudSDKException) as not_committed:
        commit(vod, applied)
    assert not_committed.value.get_code() == "InvalidParameterValue.VodSessionKey"


def test_complete_part_list_over_its_limit_is_refused(server, vod):
    _, cos, where = start_multipart(server, vod)
    etag = cos.upload_part(Body=b"x" * 1000, PartNumber=1, **where)["etag"]
    huge = {"Part": [{"PartNumber": "1", "ETag": etag}] * 40_000}  # about 3 MB of XML
    with pytest.raises(CosServiceError) as err:
        cos.complete_multipart_upload(MultipartUpload=huge, **where)
    assert err.value.get_error_code() == "MaxMessageLengthExceeded"
    assert err.value.get_status_code() == 400


# Console forms


def test_console_form_over_the_body_limit_is_refused(server):
    form = "application/x-www-form-urlencoded"
    result = flood(server, "/console/login", headers={}, content_type=form, prefix=b"password=")
    assert result.status == 413
    assert b"VODGUARD_MAX_BODY_BYTES" in result.body
    assert result.sent < FLOOD // 2
