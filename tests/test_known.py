"""Known content through the official SDK (#16): a person blocks a video, and its copies (re-encoded, resized,
cropped, watermarked, trimmed, another fps, mirrored) are blocked on upload with the match as evidence, while
unrelated videos pass; an approval takes the video out of the bank again. Also ReviewImage, the extension actions
and the console pages. Runs on SQLite here and on PostgreSQL under ``make test-scale``."""

from __future__ import annotations

import time
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from tests import known_media
from tests.paths import fixture_path
from tests.sdk import wait_finished
from tests.test_console import Console
from tests.test_tasks import review, set_pull_mode, template, upload
from vodguard.moderation.known import RADIUS

# the module's server, its app key and SDK client: tests/conftest.py (one embedded worker thread)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("known-media")
    original = known_media.slideshow(folder / "original.mp4", known_media.ORIGINAL_PHOTOS)
    copies = {name: known_media.variant(original, name, folder) for name in known_media.VARIANTS}
    return original, copies, known_media.unrelated(folder)


def call(vod, action: str, **params: Any) -> dict[str, Any]:
    return vod.call_json(action, params)["Response"]


def task_output(vod, task_id: str) -> dict[str, Any]:
    """The finished task's Output as the wire carries it (the SDK's model drops extension fields)."""
    wait_finished(vod, task_id)
    task = call(vod, "DescribeTaskDetail", TaskId=task_id)["ReviewAudioVideoTask"]
    assert task["Status"] == "FINISH" and task["Message"] == "SUCCESS", task
    return task["Output"]


def bank(vod) -> list[dict[str, Any]]:
    return call(vod, "DescribeKnownContents", Limit=100)["KnownContentSet"]


def banked(vod, file_id: str, timeout: float = 120) -> dict[str, Any]:
    """The bank entry of a blocked media, once its frames are in (a block hashes them after answering)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [e for e in bank(vod) if e["FileId"] == file_id]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"FileId {file_id} did not reach the bank in {timeout} s")


def test_copies_of_a_blocked_video_are_blocked_and_unrelated_videos_pass(server, keys, vod, clips):
    original, copies, unrelated = clips
    set_pull_mode(vod)
    definition = template(vod, ["Porn"])
    blocked = upload(server, keys, original)["FileId"]
    assert bank(vod) == []
    call(vod, "SetReviewDecision", FileId=blocked, Decision="block", Reason="leaked screener", Label="Porn")
    entry = banked(vod, blocked)
    assert len(bank(vod)) == 1
    assert (entry["FileId"], entry["Label"], entry["Reason"], entry["Origin"]) == (
        blocked, "Porn", "leaked screener", "decision"
    )  # fmt: skip
    assert entry["Kind"] == "video" and entry["FrameCount"] >= 5

    tasks = {name: review(vod, upload(server, keys, path)["FileId"], Definition=definition)
             for name, path in copies.items()}  # fmt: skip
    others = {path.name: review(vod, upload(server, keys, path)["FileId"], Definition=definition)
              for path in unrelated}  # fmt: skip

    for name, task_id in tasks.items():
        output = task_output(vod, task_id)
        match = output.get("KnownContentMatch")
        assert output["Suggestion"] == "block" and output["Label"] == "Porn", name
        assert match is not None, name
        assert (match["EntryId"], match["FileId"], match["Reason"]) == (
            entry["EntryId"],
            blocked,
            "leaked screener",
        )
        assert match["FrameSet"] and match["Distance"] <= RADIUS, name
        assert all(0 <= f["Distance"] <= RADIUS for f in match["FrameSet"])
        assert any(f["Flipped"] for f in match["FrameSet"]) == (name == "mirror")
        first = output["SegmentSet"][0]
        assert (first["Suggestion"], first["Label"], first["Form"]) == ("block", "Porn", "Image")
        assert f"matches media {blocked}, blocked by a person on " in first["Text"]
        assert first["Text"].endswith("for leaked screener")
    for name, task_id in others.items():
        output = task_output(vod, task_id)
        assert "KnownContentMatch" not in output, name
        assert output["Suggestion"] == "pass", name

    # the completion event carries the same evidence
    matched = []
    for _ in range(50):
        events = call(vod, "PullEvents").get("EventSet") or []
        if not events:
            break
        for event in events:
            done = event.get("ReviewAudioVideoCompleteEvent") or {}
            if done.get("TaskId") == tasks["mirror"]:
                matched.append(done["Output"]["KnownContentMatch"])
        call(vod, "ConfirmEvents", EventHandles=[e["EventHandle"] for e in events])
    assert matched and matched[0]["FileId"] == blocked

    # the console's evidence page of a copy says what it matched, and the bank page lists the entry
    console = Console(server).sign_in_with(keys)
    mirror_file = call(vod, "DescribeTaskDetail", TaskId=tasks["mirror"])["ReviewAudioVideoTask"]["Input"][
        "FileId"
    ]
    page = console.get(f"/console/media/{mirror_file}").text
    assert (
        "Known content" in page and "Matches media" in page and blocked in page and "leaked screener" in page
    )
    assert entry["EntryId"] in console.get("/console/known").text

    # an approval of the blocked video takes it out of the bank: a copy reviewed again passes
    call(vod, "SetReviewDecision", FileId=blocked, Decision="approve")
    assert bank(vod) == []
    again = task_output(
        vod, review(vod, upload(server, keys, copies["crf"])["FileId"], Definition=definition)
    )
    assert "KnownContentMatch" not in again and again["Suggestion"] == "pass"


def test_approvals_add_nothing_and_a_picture_copy_is_blocked_by_review_image(server, keys, vod, tmp_path):
    from PIL import Image, ImageOps

    photo = known_media.PHOTOS / "photo_skimage_coffee_full.jpg"
    fine = upload(server, keys, known_media.PHOTOS / "photo_skimage_horse_full.jpg")["FileId"]
    call(vod, "SetReviewDecision", FileId=fine, Decision="approve")
    assert all(e["FileId"] != fine for e in bank(vod))
    picture = upload(server, keys, photo)["FileId"]
    call(vod, "SetReviewDecision", FileId=picture, Decision="block", Reason="doxxing")
    entry = banked(vod, picture)
    assert (
        entry["Kind"] == "picture" and entry["Label"] == "Illegal"
    )  # no review flagged it: the default label
    copy = tmp_path / "copy.jpg"
    ImageOps.mirror(Image.open(photo).convert("RGB")).resize((320, 213)).save(copy, quality=60)
    definition = template(vod, ["Porn"])
    result = call(vod, "ReviewImage", FileId=upload(server, keys, copy)["FileId"], Definition=definition)[
        "MediaReviewResult"
    ]
    assert result["Suggestion"] == "block" and result["Label"] == "Illegal"
    match = result["KnownContentMatch"]
    assert match["FileId"] == picture and match["FrameSet"][0]["Flipped"]
    other_file = upload(server, keys, fixture_path("images/gradient.jpg"))["FileId"]
    other = call(vod, "ReviewImage", FileId=other_file, Definition=definition)["MediaReviewResult"]
    assert "KnownContentMatch" not in other and other["Suggestion"] == "pass"


def test_known_content_actions_add_list_delete_and_refuse_bad_input(server, keys, vod):
    file_id = upload(server, keys, known_media.PHOTOS / "photo_skimage_rocket_full.jpg")["FileId"]
    made = call(vod, "CreateKnownContent", FileId=file_id, Label="Terror", Reason="manual")["KnownContent"]
    # a picture is one frame, banked whole and as its centre (moderation.known.BANK_CROPS)
    assert (made["FileId"], made["Label"], made["Origin"], made["FrameCount"]) == (
        file_id,
        "Terror",
        "media",
        2,
    )
    listed = call(vod, "DescribeKnownContents")
    assert made["EntryId"] in [e["EntryId"] for e in listed["KnownContentSet"]] and listed["TotalCount"] >= 1
    call(vod, "DeleteKnownContent", EntryId=made["EntryId"])
    assert made["EntryId"] not in [e["EntryId"] for e in bank(vod)]
    for action, params, code in [
        ("CreateKnownContent", {"FileId": file_id, "Label": "Nope"}, "InvalidParameterValue.Label"),
        ("CreateKnownContent", {"FileId": "123", "Label": "Porn"}, "ResourceNotFound"),
        ("DeleteKnownContent", {"EntryId": made["EntryId"]}, "ResourceNotFound.EntryId"),
        ("DescribeKnownContents", {"Limit": 0}, "InvalidParameterValue.Limit"),
        (
            "SetReviewDecision",
            {"FileId": file_id, "Decision": "block", "Label": "Bad"},
            "InvalidParameterValue.Label",
        ),
    ]:
        with pytest.raises(TencentCloudSDKException) as err:
            vod.call_json(action, params)
        assert err.value.code.startswith(code), (action, err.value.code, err.value.message)


def test_console_known_page_adds_and_removes(server, keys, vod):
    console = Console(server).sign_in_with(keys)
    file_id = upload(server, keys, known_media.PHOTOS / "photo_skimage_text_full.jpg")["FileId"]
    answer = console.post("/console/known/add", {"file_id": file_id, "label": "Ad", "reason": "spam card"})
    assert "Added known-" in console.flash(answer)
    [entry] = [e for e in bank(vod) if e["FileId"] == file_id]
    page = console.get("/console/known").text
    assert entry["EntryId"] in page and "spam card" in page
    exported = console.get("/console/known/export.csv").text
    assert exported.startswith("signal_type,signal,label,note,entry,time,sub_label,kind\n")
    assert f",Ad,spam card,{entry['EntryId']},0," in exported
    assert "Removed known-" in console.flash(console.post(f"/console/known/{entry['EntryId']}/delete"))
    assert f'data-entry-id="{entry["EntryId"]}"' not in console.get("/console/known").text
