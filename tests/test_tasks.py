"""Moderation tasks through the official SDK: the seed's flow, results, events, priority, dedup, publishing."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.vod.v20180717 import models

from tests.conftest import vod_client
from tests.media import make_image
from tests.paths import fixture_path
from tests.sdk import wait_finished
from tests.server import start_server

# the module's server, its app key and SDK client: tests/conftest.py (one embedded worker thread)


def upload(server, keys, path: Path, **form) -> dict:
    token = base64.b64encode(f"{keys.secret_id}:{keys.secret_key}".encode()).decode()
    with path.open("rb") as f:
        resp = httpx.post(
            f"{server.url}/upload", data=form, files={"file": (path.name, f)},
            headers={"Authorization": f"Basic {token}"}, timeout=60,
        )  # fmt: skip
    assert resp.status_code == 200, resp.text
    return resp.json()


def template(vod, labels: list[str]) -> int:
    req = models.CreateReviewTemplateRequest()
    req.Labels = labels
    return vod.CreateReviewTemplate(req).Definition


def review(vod, file_id: str, **fields) -> str:
    req = models.ReviewAudioVideoRequest()
    req.FileId = file_id
    for k, v in fields.items():
        setattr(req, k, v)
    return vod.ReviewAudioVideo(req).TaskId


def pull_all(vod) -> list:
    out = []
    while True:
        events = vod.PullEvents(models.PullEventsRequest()).EventSet or []
        if not events:
            return out
        out.extend(events)
        confirm = models.ConfirmEventsRequest()
        confirm.EventHandles = [e.EventHandle for e in events]
        vod.ConfirmEvents(confirm)


def set_pull_mode(vod) -> None:
    req = models.ModifyEventConfigRequest()
    req.Mode, req.UploadMediaCompleteEventSwitch, req.DeleteMediaCompleteEventSwitch = "PULL", "ON", "ON"
    vod.ModifyEventConfig(req)


def test_seed_flow_upload_with_procedure_to_completion_event(server, keys, vod):
    set_pull_mode(vod)
    definition = template(vod, ["Ad", "Porn"])
    proc = models.CreateProcedureTemplateRequest()
    proc.Name = "review-ads"
    proc.ReviewAudioVideoTask = models.ProcedureReviewAudioVideoTaskInput()
    proc.ReviewAudioVideoTask.Definition = definition
    vod.CreateProcedureTemplate(proc)
    uploaded = upload(
        server, keys, fixture_path("text_video.mp4"), procedure="review-ads", sessionContext="s-ctx"
    )
    task_id = uploaded["ReviewAudioVideoTaskId"]
    assert task_id.startswith(f"{keys.sub_app_id}-ReviewAudioVideo-") and len(task_id.split("-")[-1]) == 32
    detail = wait_finished(vod, task_id)
    task = detail.ReviewAudioVideoTask
    assert detail.TaskType == "ReviewAudioVideo" and detail.Status == "FINISH"
    assert task.ErrCodeExt == "" and task.Message == "SUCCESS"
    assert task.Input.FileId == uploaded["FileId"] and task.Input.Definition == definition
    out = task.Output
    # The Chinese caption asks to add a WeChat id to watch porn: both Ad and Porn are right, and both block.
    assert out.Suggestion == "block" and out.Label in ("Ad", "Porn") and out.Form == "OCR"
    ocr = [s for s in out.SegmentSet if s.Form == "OCR" and s.Label == "Ad"]
    assert ocr and all(s.Suggestion in ("review", "block") for s in ocr)
    assert any(s.StartTimeOffset <= 13 and s.EndTimeOffset >= 11 for s in ocr)  # the Chinese caption, 12-16 s
    first = ocr[0]
    assert len(first.AreaCoordSet) == 4 and first.KeywordSet and first.Url
    assert httpx.get(first.Url.split("?")[0]).status_code == 403
    assert out.SegmentSetFileUrlExpireTime.endswith("Z")
    kinds = [(e.EventType, e) for e in pull_all(vod)]
    uploads = [e for t, e in kinds if t == "NewFileUpload"]
    assert uploads and uploads[0].FileUploadEvent.ReviewAudioVideoTaskId == task_id
    done = [e for t, e in kinds if t == "ReviewAudioVideoComplete"]
    assert len(done) == 1 and done[0].ReviewAudioVideoCompleteEvent.TaskId == task_id
    assert done[0].ReviewAudioVideoCompleteEvent.Output.Suggestion == "block"
    info_req = models.DescribeMediaInfosRequest()
    info_req.FileIds, info_req.Filters = [uploaded["FileId"]], ["basicInfo", "reviewInfo"]
    info = vod.DescribeMediaInfos(info_req).MediaInfoSet[0]
    assert info.ReviewInfo.MediaReviewInfo.Suggestion == "block"
    assert "OCR.Ad" in info.ReviewInfo.MediaReviewInfo.TypeSet
    assert info.BasicInfo.Status == "Forbidden"  # post-moderation (the default) forbids what a review blocks
    # ...and its evidence with it (frames of forbidden media are not served); recovered, the evidence is back
    assert httpx.get(first.Url).status_code == httpx.get(out.SegmentSetFileUrl).status_code == 403
    forbid(vod, uploaded["FileId"], "recover")
    assert httpx.get(first.Url).headers["content-type"] == "image/jpeg"
    full = httpx.get(out.SegmentSetFileUrl).json()
    assert len(full) >= len(out.SegmentSet)
    listed = vod.DescribeTasks(_tasks_request(FileId=uploaded["FileId"], Status="FINISH"))
    assert [t.TaskId for t in listed.TaskSet] == [task_id]


def _tasks_request(**fields):
    req = models.DescribeTasksRequest()
    for k, v in fields.items():
        setattr(req, k, v)
    return req


def test_clean_video_passes_and_session_context_round_trips(server, keys, vod):
    uploaded = upload(server, keys, fixture_path("clean_video.mp4"))
    definition = template(vod, ["Porn", "Ad", "Abuse"])
    task_id = review(
        vod, uploaded["FileId"], Definition=definition, SessionContext="ctx-42", SessionId="sess-1"
    )
    task = wait_finished(vod, task_id).ReviewAudioVideoTask
    assert task.Output.Suggestion == "pass" and task.Output.SegmentSet == []
    assert task.SessionContext == "ctx-42" and task.SessionId == "sess-1"
    with pytest.raises(TencentCloudSDKException) as err:
        review(vod, uploaded["FileId"], Definition=definition, SessionId="sess-1")
    assert err.value.get_code() == "InvalidParameterValue.SessionId"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"Definition": 999}, "InvalidParameterValue.Definition"),
        ({"SessionId": "x" * 51}, "InvalidParameterValue.SessionIdTooLong"),
        ({"SessionContext": "x" * 1001}, "InvalidParameterValue.SessionContextTooLong"),
        ({"TasksPriority": 11}, "InvalidParameterValue.TasksPriority"),
        ({"ReviewContents": ["Audio"]}, "InvalidParameterValue.ReviewContents"),
    ],
)
def test_review_audio_video_refuses_bad_fields(server, keys, vod, fields, code):
    uploaded = upload(server, keys, fixture_path("silent.mp4"))
    with pytest.raises(TencentCloudSDKException) as err:
        review(vod, uploaded["FileId"], **fields)
    assert err.value.get_code() == code


def test_review_of_unknown_or_foreign_file_is_refused(server, keys, vod):
    with pytest.raises(TencentCloudSDKException) as err:
        review(vod, "404")
    assert err.value.get_code() == "ResourceNotFound.FileNotExist"
    other = server.new_key()
    theirs = upload(server, other, fixture_path("silent.mp4"))
    with pytest.raises(TencentCloudSDKException) as err:
        review(vod, theirs["FileId"])
    assert err.value.get_code() == "ResourceNotFound.FileNotExist"


def test_undecodable_media_finishes_with_source_file_error(server, keys, vod):
    uploaded = upload(server, keys, fixture_path("bad/truncated.mp4"))
    task = wait_finished(
        vod, review(vod, uploaded["FileId"], Definition=template(vod, ["Porn"]))
    ).ReviewAudioVideoTask
    assert task.ErrCodeExt == "SourceFileError" and task.Message and task.Output is None


def test_review_image_is_synchronous(server, keys, vod, tmp_path):
    image = upload(server, keys, make_image(tmp_path / "calm.png"))
    req = models.ReviewImageRequest()
    req.FileId, req.Definition = image["FileId"], 10
    result = vod.ReviewImage(req).MediaReviewResult
    assert result.Suggestion == "pass" and result.SegmentSet == []
    video = upload(server, keys, fixture_path("silent.mp4"))
    req.FileId = video["FileId"]
    with pytest.raises(TencentCloudSDKException) as err:
        vod.ReviewImage(req)
    assert err.value.get_code() == "InvalidParameterValue.FileId" and "image" in err.value.get_message()


def forbid(vod, file_id: str, operation: str = "forbid") -> None:
    req = models.ForbidMediaDistributionRequest()
    req.FileIds, req.Operation = [file_id], operation
    vod.ForbidMediaDistribution(req)


def test_evidence_is_refused_for_forbidden_media_and_removed_with_deleted_media(server, keys, vod, tmp_path):
    file_id = upload(server, keys, make_image(tmp_path / "still.png"))["FileId"]
    task_id = review(vod, file_id)
    task_url = wait_finished(vod, task_id).ReviewAudioVideoTask.Output.SegmentSetFileUrl
    req = models.ReviewImageRequest()
    req.FileId, req.Definition = file_id, 10
    image_url = vod.ReviewImage(req).MediaReviewResult.SegmentSetFileUrl  # ReviewImage has no task row
    urls = (task_url, image_url)
    assert [httpx.get(url).status_code for url in urls] == [200, 200]

    forbid(vod, file_id)
    assert [httpx.get(url).status_code for url in urls] == [403, 403]
    forbid(vod, file_id, "recover")
    assert [httpx.get(url).status_code for url in urls] == [200, 200]

    delete = models.DeleteMediaRequest()
    delete.FileId = file_id
    vod.DeleteMedia(delete)
    assert [httpx.get(url).status_code for url in urls] == [404, 404]
    assert not server.services.blobs.exists(f"evidence/{keys.sub_app_id}/{task_id}/segments.json")
    image_evidence = image_url.split("?")[0].removeprefix(f"{server.url}/")
    assert image_evidence.startswith(f"evidence/{keys.sub_app_id}/image-{file_id}-")
    assert not server.services.blobs.exists(image_evidence)


def test_review_image_reads_text_in_pictures(server, keys, vod):
    image = upload(server, keys, fixture_path("images/text.png"))
    req = models.ReviewImageRequest()
    req.FileId, req.Definition = image["FileId"], template(vod, ["Ad", "Porn", "Abuse", "Illegal", "Terror"])
    result = vod.ReviewImage(req).MediaReviewResult
    assert result.Suggestion in ("review", "block") and result.Form == "OCR"
    assert result.SegmentSet[0].Text and len(result.SegmentSet[0].AreaCoordSet) == 4


def test_describe_tasks_paging_and_filters(server, keys, vod):
    uploaded = upload(server, keys, fixture_path("silent.mp4"))
    definition = template(vod, ["Porn"])
    ids = [review(vod, uploaded["FileId"], Definition=definition) for _ in range(5)]
    for task_id in ids:
        wait_finished(vod, task_id)
    seen, token = [], None
    while True:
        page = vod.DescribeTasks(_tasks_request(FileId=uploaded["FileId"], Limit=2, ScrollToken=token))
        assert len(page.TaskSet) <= 2
        seen += [t.TaskId for t in page.TaskSet]
        token = page.ScrollToken
        if not token:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    with pytest.raises(TencentCloudSDKException) as err:
        vod.DescribeTasks(_tasks_request(Limit=101))
    assert err.value.get_code() == "InvalidParameterValue.Limit"
    with pytest.raises(TencentCloudSDKException) as err:
        vod.DescribeTasks(_tasks_request(ScrollToken="garbage"))
    assert err.value.get_code() == "InvalidParameterValue.ScrollToken"
    with pytest.raises(TencentCloudSDKException) as err:
        req = models.DescribeTaskDetailRequest()
        req.TaskId = "nope"
        vod.DescribeTaskDetail(req)
    assert err.value.get_code() == "InvalidParameterValue.TaskId"


def test_process_media_by_procedure(server, keys, vod):
    uploaded = upload(server, keys, fixture_path("silent.mp4"))
    proc = models.CreateProcedureTemplateRequest()
    proc.Name = "porn-only"
    proc.ReviewAudioVideoTask = models.ProcedureReviewAudioVideoTaskInput()
    proc.ReviewAudioVideoTask.Definition = template(vod, ["Porn"])
    vod.CreateProcedureTemplate(proc)
    req = models.ProcessMediaByProcedureRequest()
    req.FileId, req.ProcedureName = uploaded["FileId"], "porn-only"
    task_id = vod.ProcessMediaByProcedure(req).ReviewAudioVideoTaskId
    assert wait_finished(vod, task_id).ReviewAudioVideoTask.Output.Suggestion == "pass"
    req.ProcedureName = "missing"
    with pytest.raises(TencentCloudSDKException) as err:
        vod.ProcessMediaByProcedure(req)
    assert err.value.get_code() == "InvalidParameter.ProcedureNameNotExist"


def test_pre_moderation_publishes_only_after_pass_or_approval(server):
    keys = server.new_key()
    vod = vod_client(server, keys.secret_id, keys.secret_key)
    vod.call_json("ModifyAppSettings", {"PublishMode": "pre"})
    assert vod.call_json("DescribeAppSettings", {})["Response"]["PublishMode"] == "pre"
    ads = template(vod, ["Ad"])
    flagged = upload(server, keys, fixture_path("text_video.mp4"))
    clean = upload(server, keys, fixture_path("silent.mp4"))
    assert httpx.get(flagged["MediaUrl"]).status_code == 403  # not published before moderation
    assert (
        wait_finished(
            vod, review(vod, clean["FileId"], Definition=ads)
        ).ReviewAudioVideoTask.Output.Suggestion
        == "pass"
    )
    out = wait_finished(vod, review(vod, flagged["FileId"], Definition=ads)).ReviewAudioVideoTask.Output
    assert out.Suggestion in ("review", "block")
    assert httpx.get(_fresh_url(vod, clean["FileId"])).status_code == 200
    assert httpx.get(_fresh_url(vod, flagged["FileId"])).status_code == 403
    vod.call_json(
        "SetReviewDecision", {"FileId": flagged["FileId"], "Decision": "approve", "Reason": "satire"}
    )
    assert httpx.get(_fresh_url(vod, flagged["FileId"])).status_code == 200
    log = vod.call_json("DescribeReviewDecisions", {"FileId": flagged["FileId"]})["Response"]["DecisionSet"]
    assert [(d["Decision"], d["Reason"]) for d in log] == [("approve", "satire")]
    vod.call_json("SetReviewDecision", {"FileId": flagged["FileId"], "Decision": "block"})
    assert httpx.get(_fresh_url(vod, flagged["FileId"])).status_code == 403


def _fresh_url(vod, file_id: str) -> str:
    req = models.DescribeMediaInfosRequest()
    req.FileIds, req.Filters = [file_id], ["basicInfo"]
    return vod.DescribeMediaInfos(req).MediaInfoSet[0].BasicInfo.MediaUrl


def test_deleting_media_aborts_its_waiting_tasks(tmp_path):
    running = start_server(tmp_path, workers=0)
    try:
        keys = running.new_key()
        vod = vod_client(running, keys.secret_id, keys.secret_key)
        uploaded = upload(running, keys, fixture_path("silent.mp4"))
        task_id = review(vod, uploaded["FileId"])
        req = models.DeleteMediaRequest()
        req.FileId = uploaded["FileId"]
        vod.DeleteMedia(req)
        detail = wait_finished(vod, task_id, timeout=5)
        assert detail.Status == "ABORTED"
    finally:
        running.stop()


def test_priority_decides_order_among_waiting_tasks(tmp_path):
    from vodguard.background import Background

    running = start_server(tmp_path, workers=0)
    try:
        keys = running.new_key()
        vod = vod_client(running, keys.secret_id, keys.secret_key)
        set_pull_mode(vod)
        uploaded = upload(running, keys, fixture_path("silent.mp4"))
        porn = template(vod, ["Porn"])
        low = [review(vod, uploaded["FileId"], Definition=porn, TasksPriority=-5) for _ in range(3)]
        high = review(vod, uploaded["FileId"], Definition=porn, TasksPriority=9)
        pull_all(vod)
        worker = Background(running.services, workers=1, api=False)
        worker.start()
        try:
            for task_id in [*low, high]:
                wait_finished(vod, task_id)
        finally:
            worker.stop()
        order = [e.ReviewAudioVideoCompleteEvent.TaskId for e in pull_all(vod)]
        assert order[0] == high and sorted(order[1:]) == sorted(low)
    finally:
        running.stop()


def test_restart_with_waiting_tasks_loses_none(tmp_path):
    first = start_server(tmp_path, workers=0)
    keys = first.new_key()
    vod = vod_client(first, keys.secret_id, keys.secret_key)
    uploaded = upload(first, keys, fixture_path("silent.mp4"))
    porn = template(vod, ["Porn"])
    ids = [review(vod, uploaded["FileId"], Definition=porn) for _ in range(3)]
    first.stop()
    second = start_server(tmp_path, workers=1)
    try:
        vod = vod_client(second, keys.secret_id, keys.secret_key)
        for task_id in ids:
            assert wait_finished(vod, task_id).ReviewAudioVideoTask.ErrCodeExt == ""
    finally:
        second.stop()


def test_an_engine_fault_is_retried_then_finishes_with_internal_error(tmp_path):
    """An operator's model file that is not a model fails every attempt: bounded retries, then InternalError."""
    import json

    from vodguard.store.models import Task

    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"this is not an ONNX model")
    models_file = tmp_path / "models.json"
    models_file.write_text(
        json.dumps([{"path": str(broken), "kind": "image", "labels": {"0": "Porn.Custom"}}])
    )
    running = start_server(tmp_path / "data", workers=1, custom_models_file=models_file, task_attempts=2)
    try:
        keys = running.new_key()
        vod = vod_client(running, keys.secret_id, keys.secret_key)
        uploaded = upload(running, keys, fixture_path("silent.mp4"))
        task_id = review(vod, uploaded["FileId"], Definition=template(vod, ["Porn"]))
        task = wait_finished(vod, task_id).ReviewAudioVideoTask
        assert task.ErrCodeExt == "InternalError" and task.Output is None
        assert "broken.onnx" in task.Message or "ModelUnavailable" in task.Message
        with running.services.db.transaction() as s:
            assert s.get(Task, task_id).attempts == 2
    finally:
        running.stop()
