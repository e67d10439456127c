"""Uploads end to end with the official clients: ApplyUpload → COS object endpoint → CommitUpload, and POST /upload."""

from __future__ import annotations

import base64
import os
import time
import types
from pathlib import Path

import httpx
import pytest
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosServiceError
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.vod.v20180717 import models

from tests.conftest import vod_client
from tests.media import make_image, make_video
from vodguard.services.signatures import sign_upload


def apply(vod, **fields):
    req = models.ApplyUploadRequest()
    req.MediaType = "mp4"
    for k, v in fields.items():
        setattr(req, k, v)
    return vod.ApplyUpload(req)


def cos_for(server, applied) -> CosS3Client:
    cert = applied.TempCertificate
    config = CosConfig(
        Region=applied.StorageRegion, SecretId=cert.SecretId, SecretKey=cert.SecretKey, Token=cert.Token,
        IP="127.0.0.1", Port=server.settings.port, Scheme="http",
    )  # fmt: skip
    return CosS3Client(config, retry=0)


def commit(vod, applied):
    req = models.CommitUploadRequest()
    req.VodSessionKey = applied.VodSessionKey
    return vod.CommitUpload(req)


def describe(vod, file_id, filters=None):
    req = models.DescribeMediaInfosRequest()
    req.FileIds = [file_id]
    req.Filters = filters
    return vod.DescribeMediaInfos(req)


def upload(server, vod, path: Path, **fields):
    applied = apply(vod, MediaType=path.suffix[1:], **fields)
    cos_for(server, applied).upload_file(
        Bucket=applied.StorageBucket, Key=applied.MediaStoragePath[1:], LocalFilePath=str(path)
    )
    return applied, commit(vod, applied)


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "clip.mp4", seconds=2)


def test_small_upload_commits_with_metadata_and_plays(server, vod, video):
    applied, done = upload(server, vod, video, MediaName="clip", SourceContext="ctx-1", ClassId=3)
    assert applied.MediaStoragePath.startswith("/")
    assert done.FileId.isdigit()
    info = describe(vod, done.FileId).MediaInfoSet[0]
    assert info.BasicInfo.Name == "clip"
    assert info.BasicInfo.Category == "Video"
    assert info.BasicInfo.Type == "mp4"
    assert info.BasicInfo.Status == "Normal"
    assert info.BasicInfo.ClassId == 3
    assert info.BasicInfo.SourceInfo.SourceContext == "ctx-1"
    assert info.MetaData.Size == video.stat().st_size
    assert info.MetaData.Width == 320 and info.MetaData.Height == 240
    assert 1.5 < info.MetaData.Duration < 2.6
    assert len(info.MetaData.Md5) == 32
    assert info.MetaData.VideoStreamSet[0].Codec == "h264"
    assert info.ReviewInfo.MediaReviewInfo is None
    body = httpx.get(done.MediaUrl).content
    assert body == video.read_bytes()
    ranged = httpx.get(done.MediaUrl, headers={"Range": "bytes=10-19"})
    assert ranged.status_code == 206 and ranged.content == video.read_bytes()[10:20]
    assert ranged.headers["content-range"] == f"bytes 10-19/{video.stat().st_size}"


def test_media_url_needs_a_valid_signature(server, vod, video):
    _, done = upload(server, vod, video)
    url = done.MediaUrl
    assert httpx.get(url.split("?")[0]).status_code == 403
    assert httpx.get(url.replace("sign=", "sign=0")).status_code == 403


def test_multipart_upload_over_5_mb_through_cos_sdk(server, vod, tmp_path):
    big = tmp_path / "big.mp4"
    big.write_bytes(os.urandom(6 * 1024 * 1024 + 123))
    applied, done = upload(server, vod, big)
    info = describe(vod, done.FileId).MediaInfoSet[0]
    assert info.MetaData.Size == big.stat().st_size
    assert httpx.get(done.MediaUrl).content == big.read_bytes()


def test_cover_upload_and_storage_path(server, vod, video, tmp_path):
    cover = make_image(tmp_path / "cover.jpg")
    applied = apply(vod, CoverType="jpg", MediaStoragePath="/shows/ep1.mp4")
    assert applied.MediaStoragePath == "/shows/ep1.mp4"
    client = cos_for(server, applied)
    client.upload_file(
        Bucket=applied.StorageBucket, Key=applied.MediaStoragePath[1:], LocalFilePath=str(video)
    )
    client.upload_file(
        Bucket=applied.StorageBucket, Key=applied.CoverStoragePath[1:], LocalFilePath=str(cover)
    )
    done = commit(vod, applied)
    assert done.CoverUrl and httpx.get(done.CoverUrl).content == cover.read_bytes()
    assert describe(vod, done.FileId).MediaInfoSet[0].BasicInfo.StoragePath == "/shows/ep1.mp4"
    again = apply_error(vod, MediaStoragePath="/shows/ep1.mp4")
    assert again.get_code() == "InvalidParameterValue.MediaStoragePath"


def test_commit_is_idempotent(server, vod, video):
    applied, done = upload(server, vod, video)
    assert commit(vod, applied).FileId == done.FileId


def test_vod_upload_client_end_to_end(server, keys, video, monkeypatch):
    from qcloud_vod import vod_upload_client as vuc
    from qcloud_vod.model import VodUploadRequest

    def local_vod_client(cred, region):
        return vod_client(server, cred.secretId, cred.secretKey)

    def local_cos_config(**kw):
        return CosConfig(IP="127.0.0.1", Port=server.settings.port, Scheme="http", **kw)

    monkeypatch.setattr(vuc, "vod_client", types.SimpleNamespace(VodClient=local_vod_client))
    monkeypatch.setattr(vuc, "CosConfig", local_cos_config)
    req = VodUploadRequest()
    req.MediaFilePath = str(video)
    resp = vuc.VodUploadClient(keys.secret_id, keys.secret_key).upload("ap-guangzhou", req)
    assert resp.FileId and httpx.get(resp.MediaUrl).status_code == 200


def apply_error(vod, **fields) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as err:
        apply(vod, **fields)
    return err.value


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"MediaStoragePath": "/../etc/passwd.mp4"}, "InvalidParameterValue.MediaStoragePath"),
        ({"MediaStoragePath": "a/b.mp4"}, "InvalidParameterValue.MediaStoragePath"),
        ({"MediaStoragePath": "/a//b.mp4"}, "InvalidParameterValue.MediaStoragePath"),
        ({"MediaType": "exe"}, "InvalidParameterValue.MediaType"),
        ({"CoverType": "mp4"}, "InvalidParameterValue.CoverType"),
        ({"SourceContext": "x" * 251}, "InvalidParameterValue.SourceContext"),
        ({"SessionContext": "x" * 1001}, "InvalidParameterValue.SessionContextTooLong"),
        ({"ExpireTime": "yesterday"}, "InvalidParameterValue.ExpireTime"),
        ({"ExpireTime": "2001-01-01T00:00:00Z"}, "InvalidParameterValue.ExpireTime"),
        ({"Procedure": "nope"}, "InvalidParameter.ProcedureNameNotExist"),
    ],
)
def test_apply_upload_refuses_bad_fields(vod, fields, code):
    assert apply_error(vod, **fields).get_code() == code


def test_commit_without_bytes_is_refused(vod):
    applied = apply(vod)
    with pytest.raises(TencentCloudSDKException) as err:
        commit(vod, applied)
    assert err.value.get_code() == "InvalidParameterValue.VodSessionKey"


def test_empty_file_is_refused_and_leaves_nothing(server, vod, tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    applied = apply(vod)
    cos_for(server, applied).put_object(
        Bucket=applied.StorageBucket, Key=applied.MediaStoragePath[1:], Body=b""
    )
    with pytest.raises(TencentCloudSDKException) as err:
        commit(vod, applied)
    assert err.value.get_code() == "InvalidParameterValue.MediaFile"


def test_temp_credential_is_scoped_to_its_object(server, vod):
    applied = apply(vod)
    with pytest.raises(CosServiceError) as err:
        cos_for(server, applied).put_object(Bucket=applied.StorageBucket, Key="elsewhere/x.mp4", Body=b"abc")
    assert err.value.get_status_code() == 403
    assert err.value.get_error_code() == "AccessDenied"


def test_forged_cos_signature_is_refused(server, vod):
    applied = apply(vod)
    applied.TempCertificate.SecretKey = "forged"
    with pytest.raises(CosServiceError) as err:
        cos_for(server, applied).put_object(
            Bucket=applied.StorageBucket, Key=applied.MediaStoragePath[1:], Body=b"abc"
        )
    assert err.value.get_error_code() == "SignatureDoesNotMatch"


def test_expired_session_is_refused_and_swept(server, vod):
    from datetime import timedelta

    from vodguard.services import staging, uploads
    from vodguard.store.models import UploadSession
    from vodguard.timeutil import utcnow

    applied = apply(vod)
    client = cos_for(server, applied)
    client.put_object(Bucket=applied.StorageBucket, Key=applied.MediaStoragePath[1:], Body=b"partial bytes")
    with server.services.db.transaction() as s:
        s.get(UploadSession, applied.VodSessionKey).expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(CosServiceError) as err:
        client.put_object(Bucket=applied.StorageBucket, Key=applied.MediaStoragePath[1:], Body=b"more")
    assert err.value.get_error_code() == "ExpiredToken"
    with pytest.raises(TencentCloudSDKException) as sdk_err:
        commit(vod, applied)
    assert sdk_err.value.get_code() == "InvalidParameterValue.VodSessionKey"
    blobs = server.services.blobs
    staged = staging.staging_key(
        types.SimpleNamespace(session_key=applied.VodSessionKey), applied.MediaStoragePath[1:]
    )
    assert blobs.exists(staged)
    with server.services.db.transaction() as s:
        assert uploads.sweep_expired(s, blobs, now=utcnow()) >= 1
    assert not blobs.exists(staged)


def test_lost_staged_bytes_are_an_internal_error_and_leave_no_media(server, vod, video):
    applied = apply(vod)
    cos_for(server, applied).upload_file(
        Bucket=applied.StorageBucket, Key=applied.MediaStoragePath[1:], LocalFilePath=str(video)
    )
    server.services.blobs.delete_prefix(f"staging/{applied.VodSessionKey}")  # the disk lost them
    with pytest.raises(TencentCloudSDKException) as err:
        commit(vod, applied)
    assert err.value.get_code() == "InternalError"
    assert "Traceback" not in err.value.get_message()


def test_other_apps_media_is_invisible(server, vod, video):
    _, done = upload(server, vod, video)
    other = server.new_key()
    other_vod = vod_client(server, other.secret_id, other.secret_key)
    seen = describe(other_vod, done.FileId)
    assert seen.MediaInfoSet == [] and seen.NotExistFileIdSet == [done.FileId]
    req = models.DeleteMediaRequest()
    req.FileId = done.FileId
    with pytest.raises(TencentCloudSDKException) as err:
        other_vod.DeleteMedia(req)
    assert err.value.get_code() == "ResourceNotFound.FileNotExist"
    forbid = models.ForbidMediaDistributionRequest()
    forbid.FileIds, forbid.Operation = [done.FileId], "forbid"
    assert other_vod.ForbidMediaDistribution(forbid).NotExistFileIdSet == [done.FileId]
    assert describe(vod, done.FileId).MediaInfoSet[0].BasicInfo.Status == "Normal"


def test_forbid_and_recover(server, vod, video):
    _, done = upload(server, vod, video)
    req = models.ForbidMediaDistributionRequest()
    req.FileIds, req.Operation = [done.FileId, "404"], "forbid"
    assert vod.ForbidMediaDistribution(req).NotExistFileIdSet == ["404"]
    info = describe(vod, done.FileId).MediaInfoSet[0]
    assert info.BasicInfo.Status == "Forbidden"
    assert httpx.get(info.BasicInfo.MediaUrl).status_code == 403
    req.FileIds, req.Operation = [done.FileId], "recover"
    vod.ForbidMediaDistribution(req)
    assert httpx.get(describe(vod, done.FileId).MediaInfoSet[0].BasicInfo.MediaUrl).status_code == 200
    req.Operation = "hide"
    with pytest.raises(TencentCloudSDKException) as err:
        vod.ForbidMediaDistribution(req)
    assert err.value.get_code() == "InvalidParameterValue.Operation"


def test_delete_media_removes_bytes(server, keys, vod, video):
    _, done = upload(server, vod, video)
    stored = f"media/{keys.sub_app_id}/{done.FileId}/original.mp4"
    assert server.services.blobs.exists(stored)
    url = done.MediaUrl
    req = models.DeleteMediaRequest()
    req.FileId = done.FileId
    vod.DeleteMedia(req)
    assert describe(vod, done.FileId).NotExistFileIdSet == [done.FileId]
    assert httpx.get(url).status_code == 404
    assert not server.services.blobs.exists(stored)


def test_describe_media_infos_limits_and_filters(vod):
    req = models.DescribeMediaInfosRequest()
    req.FileIds = [str(i) for i in range(21)]
    with pytest.raises(TencentCloudSDKException) as err:
        vod.DescribeMediaInfos(req)
    assert err.value.get_code() == "InvalidParameterValue.FileIdsTooMany"
    req.FileIds, req.Filters = ["1"], ["everything"]
    with pytest.raises(TencentCloudSDKException) as err:
        vod.DescribeMediaInfos(req)
    assert err.value.get_code() == "InvalidParameterValue.Filters"


# POST /upload


def basic(keys) -> dict[str, str]:
    token = base64.b64encode(f"{keys.secret_id}:{keys.secret_key}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_form_upload_with_app_key(server, keys, vod, video):
    with video.open("rb") as f:
        resp = httpx.post(f"{server.url}/upload", files={"file": ("clip.mp4", f)}, headers=basic(keys))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert describe(vod, body["FileId"]).MediaInfoSet[0].BasicInfo.Name == "clip"
    assert httpx.get(body["MediaUrl"]).content == video.read_bytes()


def test_form_upload_with_signature_and_one_time_use(server, keys, vod, video):
    sig = sign_upload(keys.secret_id, keys.secret_key, one_time=True, class_id=7, source_context="from-app")
    data = {"signature": sig, "mediaName": "signed"}
    first = httpx.post(f"{server.url}/upload", data=data, files={"file": ("a.mp4", video.read_bytes())})
    assert first.status_code == 200, first.text
    info = describe(vod, first.json()["FileId"]).MediaInfoSet[0].BasicInfo
    assert (info.Name, info.ClassId, info.SourceInfo.SourceContext) == ("signed", 7, "from-app")
    again = httpx.post(f"{server.url}/upload", data=data, files={"file": ("a.mp4", video.read_bytes())})
    assert again.status_code == 401
    assert again.json()["Error"]["Code"] == "AuthFailure.SignatureFailure"


def test_form_upload_refuses_expired_or_forged_signatures(server, keys, video):
    expired = sign_upload(keys.secret_id, keys.secret_key, ttl=60, now=int(time.time()) - 3600)
    forged = sign_upload(keys.secret_id, "not-the-key")
    for sig in (expired, forged, "!!notbase64"):
        resp = httpx.post(f"{server.url}/upload", data={"signature": sig}, files={"file": ("a.mp4", b"123")})
        assert resp.status_code == 401, resp.text
    assert (
        "expired"
        in httpx.post(
            f"{server.url}/upload", data={"signature": expired}, files={"file": ("a.mp4", b"123")}
        ).json()["Error"]["Message"]
    )


def test_form_upload_errors_are_specific(server, keys):
    no_file = httpx.post(f"{server.url}/upload", data={"x": "1"}, headers=basic(keys))
    assert no_file.status_code == 400 and no_file.json()["Error"]["Code"] == "MissingParameter"
    empty = httpx.post(f"{server.url}/upload", files={"file": ("a.mp4", b"")}, headers=basic(keys))
    assert empty.json()["Error"]["Code"] == "InvalidParameterValue.MediaFile"
    exe = httpx.post(f"{server.url}/upload", files={"file": ("a.exe", b"MZ")}, headers=basic(keys))
    assert exe.json()["Error"]["Code"] == "InvalidParameterValue.MediaType"
    anonymous = httpx.post(f"{server.url}/upload", files={"file": ("a.mp4", b"123")})
    assert anonymous.status_code == 401
    leftovers = list((server.settings.blob_dir / "staging").glob("direct/*"))
    assert leftovers == []  # (local storage; on S3 the staging objects are checked by tests/test_blobs.py)


def test_sign_upload_cli_makes_a_working_signature(server, keys, video):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "vodguard", "sign-upload", "--secret-id", keys.secret_id, "--secret-key",
         keys.secret_key, "--ttl", "600", "--procedure", ""],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    sig = out.stdout.strip()
    resp = httpx.post(
        f"{server.url}/upload", data={"signature": sig}, files={"file": ("a.mp4", video.read_bytes())}
    )
    assert resp.status_code == 200, resp.text
