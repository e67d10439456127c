"""Identical content, identical verdict: a task on bytes reviewed before replays that result (services/reuse.py)."""

from __future__ import annotations

import re
import shutil
import time

import httpx
import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.vod.v20180717 import models

from tests.conftest import vod_client
from tests.paths import fixture_path
from tests.sdk import wait_finished
from tests.server import start_server
from tests.test_console import Console
from tests.test_tasks import review, template, upload

# the module's server, its app key and SDK client: tests/conftest.py (one embedded worker thread)


def reused_count(server) -> float:
    text = httpx.get(f"{server.url}/metrics").text
    match = re.search(r"^vodguard_review_reused_total (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def finished_output(vod, task_id: str):
    task = wait_finished(vod, task_id).ReviewAudioVideoTask
    assert task.ErrCodeExt == "" and task.Message == "SUCCESS"
    return task.Output


def segments(output) -> list[tuple]:
    return [
        (s.Form, s.Label, s.SubLabel, s.Suggestion, s.StartTimeOffset, s.EndTimeOffset, s.Text)
        for s in output.SegmentSet
    ]


def recover(vod, *file_ids: str) -> None:
    """Lift the ban post-moderation put on blocked media, so that their evidence URLs serve again."""
    req = models.ForbidMediaDistributionRequest()
    req.FileIds, req.Operation = list(file_ids), "recover"
    vod.ForbidMediaDistribution(req)


def without_urls(segment: dict) -> dict:
    return {k: v for k, v in segment.items() if k not in ("Url", "PicUrlExpireTime")}


def test_a_second_upload_of_the_same_bytes_replays_the_first_result(server, keys, vod, tmp_path):
    definition = template(vod, ["Ad", "Porn"])
    first_file = upload(server, keys, fixture_path("text_video.mp4"))["FileId"]
    copy = tmp_path / "renamed.mp4"
    shutil.copyfile(fixture_path("text_video.mp4"), copy)  # another name, the same bytes
    second_file = upload(server, keys, copy)["FileId"]
    before = reused_count(server)

    first_task = review(vod, first_file, Definition=definition)
    first = finished_output(vod, first_task)
    assert reused_count(server) == before  # nothing to reuse yet
    second_task = review(vod, second_file, Definition=definition)
    second = finished_output(vod, second_task)

    assert reused_count(server) == before + 1
    assert (second.Suggestion, second.Label, second.Form) == (first.Suggestion, first.Label, first.Form)
    assert second.Suggestion == "block" and segments(second) == segments(first)
    # the evidence is the new task's own: its URLs name it, and they serve the thumbnail and segment list
    thumbs = [s.Url for s in second.SegmentSet if s.Url]
    assert thumbs and all(second_task in url for url in thumbs)
    assert second_task in second.SegmentSetFileUrl
    # the media row of the second file carries the verdict as if its review had run
    info_req = models.DescribeMediaInfosRequest()
    info_req.FileIds, info_req.Filters = [second_file], ["basicInfo", "reviewInfo"]
    info = vod.DescribeMediaInfos(info_req).MediaInfoSet[0]
    assert info.ReviewInfo.MediaReviewInfo.Suggestion == "block"
    assert info.BasicInfo.Status == "Forbidden"
    recover(vod, first_file, second_file)  # evidence of forbidden media is not served
    assert httpx.get(thumbs[0]).headers["content-type"] == "image/jpeg"
    listed = [httpx.get(out.SegmentSetFileUrl).json() for out in (first, second)]
    assert [without_urls(s) for s in listed[1]] == [without_urls(s) for s in listed[0]]
    assert all(second_task in s["Url"] for s in listed[1] if s["Url"])
    # people see where the result came from
    page = Console(server).sign_in_with(keys).get("/console/tasks").text
    row = page[page.index(f'data-task-id="{second_task}"') :].split("</tr>")[0]
    assert "reused from" in row and first_task[-8:] in row


def test_another_template_or_other_bytes_run_the_models(server, keys, vod):
    ads = template(vod, ["Ad"])
    porn = template(vod, ["Porn"])
    file_id = upload(server, keys, fixture_path("text_video.mp4"))["FileId"]
    other_file = upload(server, keys, fixture_path("clean_video.mp4"))["FileId"]
    finished_output(vod, review(vod, file_id, Definition=ads))
    before = reused_count(server)

    porn_only = finished_output(vod, review(vod, file_id, Definition=porn))
    clean = finished_output(vod, review(vod, other_file, Definition=ads))

    assert reused_count(server) == before
    assert {s.Label for s in porn_only.SegmentSet} == {"Porn"}  # the Porn-only template's own result
    assert clean.Suggestion == "pass" and not clean.SegmentSet


def test_changed_thresholds_are_a_different_template(server, keys, vod):
    definition = template(vod, ["Ad", "Porn"])
    file_id = upload(server, keys, fixture_path("text_video.mp4"))["FileId"]
    assert finished_output(vod, review(vod, file_id, Definition=definition)).Suggestion == "block"
    before = reused_count(server)
    modify = models.ModifyReviewTemplateRequest()
    modify.Definition, modify.Labels = definition, ["Porn", "Ad"]
    vod.ModifyReviewTemplate(modify)
    assert finished_output(vod, review(vod, file_id, Definition=definition)).Suggestion == "block"
    assert reused_count(server) == before + 1  # the same labels and thresholds: still the same template

    from vodguard.services import templates as template_service
    from vodguard.timeutil import utcnow

    with server.services.db.transaction() as s:  # what the console's settings page does
        template_service.modify_review_template(
            s, app_id=int(keys.sub_app_id), definition=definition, labels=None, name=None, comment=None,
            thresholds={label: {"review": 50.0, "block": 99.5} for label in ("Ad", "Porn")}, now=utcnow(),
        )  # fmt: skip
    strict = finished_output(vod, review(vod, file_id, Definition=definition))
    assert reused_count(server) == before + 1
    assert strict.Suggestion == "review"  # under the new block thresholds the captions only ask for a look


def test_edited_custom_label_examples_are_a_different_template(server, keys, vod, tmp_path):
    from tests.custom_examples import CRYPTO
    from tests.test_custom_labels import captioned_png

    crypto = {"Label": "Ad", "SubLabel": "Crypto", "Examples": list(CRYPTO)}
    params = {"Labels": ["Ad"], "CustomLabels": [crypto]}
    definition = vod.call_json("CreateReviewTemplate", params)["Response"]["Definition"]
    picture = tmp_path / "promo.png"
    picture.write_bytes(captioned_png("Join the channel, next coin pump is tomorrow, get rich quick"))
    file_id = upload(server, keys, picture)["FileId"]
    first = finished_output(vod, review(vod, file_id, Definition=definition))
    assert [(s.Label, s.SubLabel) for s in first.SegmentSet] == [("Ad", "Crypto")]
    before = reused_count(server)

    renamed = {**crypto, "SubLabel": "CoinPump"}
    vod.call_json("ModifyReviewTemplate", {"Definition": definition, "CustomLabels": [renamed]})
    second = finished_output(vod, review(vod, file_id, Definition=definition))
    assert [(s.Label, s.SubLabel) for s in second.SegmentSet] == [("Ad", "CoinPump")]
    edited = {**renamed, "Examples": [*CRYPTO[:-1], "Get rich with the next coin pump tonight"]}
    vod.call_json("ModifyReviewTemplate", {"Definition": definition, "CustomLabels": [edited]})
    finished_output(vod, review(vod, file_id, Definition=definition))
    assert reused_count(server) == before  # each change of the custom labels ran the models again
    finished_output(vod, review(vod, file_id, Definition=definition))
    assert reused_count(server) == before + 1  # unchanged since: replayed


def test_the_reuse_key_follows_custom_labels_examples():
    from dataclasses import replace

    from tests.custom_examples import CRYPTO
    from vodguard.moderation import CustomLabel, labels_template
    from vodguard.services.reuse import reuse_key

    def key(template) -> str:
        return reuse_key(media_digest="0" * 64, cover_digest="", contents=["Media"], is_image=True,
                         template=template, fingerprint="engine")  # fmt: skip

    plain = labels_template(["Ad"])
    crypto = replace(plain, custom_labels=(CustomLabel("Ad", "Crypto", CRYPTO),))
    edited = replace(
        plain, custom_labels=(CustomLabel("Ad", "Crypto", (*CRYPTO[:-1], "one more coin pump")),)
    )
    assert len({key(plain), key(crypto), key(edited)}) == 3
    assert key(replace(crypto, custom_labels=(CustomLabel("Ad", "Crypto", tuple(CRYPTO)),))) == key(crypto)


def test_evidence_that_is_gone_means_a_fresh_run(server, keys, vod):
    definition = template(vod, ["Ad", "Porn"])
    file_id = upload(server, keys, fixture_path("text_video.mp4"))["FileId"]
    first_task = review(vod, file_id, Definition=definition)
    first = finished_output(vod, first_task)
    server.services.blobs.delete_prefix(f"evidence/{keys.sub_app_id}/{first_task}")  # as the sweep does
    before = reused_count(server)

    again = finished_output(vod, review(vod, file_id, Definition=definition))

    assert reused_count(server) == before
    assert segments(again) == segments(first)
    recover(vod, file_id)  # evidence of forbidden media is not served
    assert all(httpx.get(s.Url).status_code == 200 for s in again.SegmentSet if s.Url)


def test_reuse_can_be_turned_off(tmp_path_factory):
    from sqlalchemy import select

    from vodguard.store.models import Task

    running = start_server(tmp_path_factory.mktemp("noreuse"), workers=1, reuse_results=False)
    try:
        keys = running.new_key()
        vod = vod_client(running, keys.secret_id, keys.secret_key)
        file_id = upload(running, keys, fixture_path("images/text.png"))["FileId"]
        outputs = [finished_output(vod, review(vod, file_id)) for _ in range(2)]
        assert outputs[0].Suggestion == outputs[1].Suggestion
        with running.services.db.transaction() as s:
            assert [(t.reuse_key, t.reused_from) for t in s.scalars(select(Task))] == [("", "")] * 2
    finally:
        running.stop()


def decisions_of(vod, file_id: str) -> list[tuple[str, str, str]]:
    log = vod.call_json("DescribeReviewDecisions", {"FileId": file_id})["Response"]["DecisionSet"]
    return [(d["Decision"], d["Reason"], d["Operator"]) for d in log]


def wait_banked(vod, file_id: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = vod.call_json("DescribeKnownContents", {"Limit": 100})["Response"]["KnownContentSet"]
        if any(e["FileId"] == file_id for e in listed):
            return
        time.sleep(0.2)
    raise AssertionError(f"FileId {file_id} did not reach the bank of known content")


def media_status(vod, file_id: str) -> str:
    req = models.DescribeMediaInfosRequest()
    req.FileIds, req.Filters = [file_id], ["basicInfo"]
    return vod.DescribeMediaInfos(req).MediaInfoSet[0].BasicInfo.Status


def test_a_person_blocking_some_bytes_blocks_them_again_after_a_delete_and_reupload(
    server, keys, vod, tmp_path
):
    # the machine passes this picture; a moderator knows better and blocks it, then deletes it
    path = tmp_path / "meme.png"
    shutil.copyfile(fixture_path("images/shapes.png"), path)
    first = upload(server, keys, path)["FileId"]
    assert finished_output(vod, review(vod, first)).Suggestion == "pass"
    vod.call_json("SetReviewDecision", {"FileId": first, "Decision": "block", "Reason": "known scam meme"})
    wait_banked(vod, first)  # the block's frames reach the bank of known content in the background
    delete = models.DeleteMediaRequest()
    delete.FileId = first
    vod.DeleteMedia(delete)

    again = upload(server, keys, path)["FileId"]
    assert media_status(vod, again) == "Normal"  # post-moderation: playable until reviewed
    # the models still see nothing, but the bank of known content (which outlives the delete) recognises it
    assert finished_output(vod, review(vod, again)).Suggestion == "block"

    assert media_status(vod, again) == "Forbidden"
    assert decisions_of(vod, again) == [
        ("block", f"same content as FileId {first}: known scam meme", "vodguard (same content)")
    ]


def test_review_image_follows_a_decision_on_identical_bytes(server, keys, vod, tmp_path):
    path = tmp_path / "sticker.jpg"
    shutil.copyfile(fixture_path("images/gradient.jpg"), path)  # bytes no other test here decides on
    first = upload(server, keys, path)["FileId"]
    review_image = models.ReviewImageRequest()
    review_image.FileId, review_image.Definition = first, 10
    assert vod.ReviewImage(review_image).MediaReviewResult.Suggestion == "pass"
    vod.call_json("SetReviewDecision", {"FileId": first, "Decision": "block", "Reason": "spam sticker"})
    wait_banked(vod, first)
    again = upload(server, keys, path)["FileId"]
    review_image.FileId = again
    # the models pass it; the bank of known content, which the block filled, does not
    assert vod.ReviewImage(review_image).MediaReviewResult.Suggestion == "block"
    assert media_status(vod, again) == "Forbidden"
    assert decisions_of(vod, again)[0][:2] == ("block", f"same content as FileId {first}: spam sticker")


def test_an_approval_does_not_carry_over_and_a_later_word_is_not_overruled(server, keys, vod):
    definition = template(vod, ["Ad", "Porn"])
    first = upload(server, keys, fixture_path("text_video.mp4"))["FileId"]
    assert finished_output(vod, review(vod, first, Definition=definition)).Suggestion == "block"
    console = Console(server).sign_in_with(keys)
    assert first in console.get("/console/queue", show="all").text  # waiting for a person
    vod.call_json("SetReviewDecision", {"FileId": first, "Decision": "approve", "Reason": "sex education"})
    assert first not in console.get("/console/queue", show="all").text

    # an approval holds for what the person saw, not for a copy that another template may judge differently
    copy = upload(server, keys, fixture_path("text_video.mp4"))["FileId"]
    assert finished_output(vod, review(vod, copy, Definition=definition)).Suggestion == "block"
    assert media_status(vod, copy) == "Forbidden" and decisions_of(vod, copy) == []
    assert copy in console.get("/console/queue", show="all").text

    # a block of one copy, then a person's approval of the other: reviewing the approved one again keeps it
    vod.call_json("SetReviewDecision", {"FileId": copy, "Decision": "block", "Reason": "no"})
    vod.call_json("SetReviewDecision", {"FileId": first, "Decision": "approve", "Reason": "yes, on appeal"})
    finished_output(vod, review(vod, first, Definition=definition))
    assert [d[0] for d in decisions_of(vod, first)] == ["approve", "approve"]  # nothing taken over


def test_a_decision_before_the_first_review_counts_for_the_bytes(server, keys, vod, tmp_path):
    path = tmp_path / "reported.jpg"
    shutil.copyfile(fixture_path("images/exif_rotated.jpg"), path)
    reported = upload(server, keys, path)["FileId"]
    vod.call_json(
        "SetReviewDecision", {"FileId": reported, "Decision": "block", "Reason": "reported by users"}
    )
    finished_output(vod, review(vod, reported))  # its bytes are hashed now; the decision is theirs
    copy = upload(server, keys, path)["FileId"]
    finished_output(vod, review(vod, copy))
    assert media_status(vod, copy) == "Forbidden"
    assert decisions_of(vod, copy)[0][:2] == (
        "block",
        f"same content as FileId {reported}: reported by users",
    )
    with pytest.raises(TencentCloudSDKException) as err:  # nobody can sign as the carry-over
        vod.call_json(
            "SetReviewDecision",
            {"FileId": copy, "Decision": "approve", "Operator": "vodguard (same content)"},
        )
    assert err.value.get_code() == "InvalidParameterValue.Operator"


def test_bytes_lost_from_storage_are_a_source_file_error(server, keys, vod):
    from vodguard.store.models import Media

    file_id = upload(server, keys, fixture_path("silent.mp4"))["FileId"]
    with server.services.db.transaction() as s:
        server.services.blobs.delete(s.get(Media, file_id).blob_key)  # a disk or bucket that lost the file
    task = wait_finished(vod, review(vod, file_id)).ReviewAudioVideoTask
    assert (
        task.ErrCodeExt == "SourceFileError" and task.Output is None
    )  # not three retries, then InternalError


def test_the_engine_fingerprint_sees_model_files_replaced_inside_a_folder(tmp_path):
    from vodguard.config import Settings
    from vodguard.moderation.config import EngineConfig
    from vodguard.moderation.fingerprint import engine_fingerprint

    whisper = tmp_path / "whisper"
    whisper.mkdir()
    (whisper / "model.bin").write_bytes(b"x" * 100)
    before = engine_fingerprint(EngineConfig(asr_model_path=whisper))
    (whisper / "model.bin").write_bytes(b"y" * 101)  # new weights, same folder
    assert engine_fingerprint(EngineConfig(asr_model_path=whisper)) != before
    assert engine_fingerprint(EngineConfig(frame_interval=2.0)) != engine_fingerprint(EngineConfig())
    # an empty setting is no setting (not the current folder); a path to nothing is refused at start-up
    assert Settings(data_dir=tmp_path, asr_model_path="").asr_model_path is None
    with pytest.raises(ValueError, match="does not exist"):
        Settings(data_dir=tmp_path, nudenet_path=tmp_path / "missing.onnx")
