"""The wire module (``vodguard/services/wire/``): the engine's plain results in the API's PascalCase, and the
response models' JSON. The SDK tests check the same shapes end to end; these pin the rules on small inputs."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.paths import fixture_path
from vodguard.moderation.config import Limits
from vodguard.moderation.media import probe
from vodguard.moderation.types import CustomLabel, ModerationResult, Segment
from vodguard.services import wire
from vodguard.services.templates import PRESET, ReviewTemplateView


def _segment(**kw) -> Segment:
    fields = dict(form="OCR", label="Ad", sub_label="Link", suggestion="review", confidence=87.6543)
    return Segment(**(fields | kw))


def test_a_timed_segment_carries_its_times_and_its_signed_thumbnail():
    seg = _segment(
        start=1.23456, end=2.5, box=(1, 2, 3, 4), text="buy", keywords=("buy",), thumbnail="t1.jpg"
    )
    out = wire.results.segment(seg, signed={"t1.jpg": ("https://x/t1.jpg?sign=1", "2026-01-01T00:00:00Z")})
    assert out == {
        "StartTimeOffset": 1.235, "EndTimeOffset": 2.5, "Confidence": 87.65, "Suggestion": "review",
        "Label": "Ad", "SubLabel": "Link", "Form": "OCR", "AreaCoordSet": [1, 2, 3, 4], "Text": "buy",
        "KeywordSet": ["buy"], "Url": "https://x/t1.jpg?sign=1", "PicUrlExpireTime": "2026-01-01T00:00:00Z",
    }  # fmt: skip
    assert list(out)[:2] == ["StartTimeOffset", "EndTimeOffset"] and list(out)[-2:] == [
        "Url",
        "PicUrlExpireTime",
    ]


def test_a_segment_without_a_signed_thumbnail_has_empty_urls():
    out = wire.results.segment(_segment(thumbnail="t2.jpg"), signed={})
    assert (out["Url"], out["PicUrlExpireTime"], out["AreaCoordSet"]) == ("", "", [])


def test_an_image_segment_has_no_times_and_no_url():
    out = wire.results.segment(_segment(thumbnail="t1.jpg"), timed=False, signed={"t1.jpg": ("u", "e")})
    assert not {"StartTimeOffset", "EndTimeOffset", "Url", "PicUrlExpireTime"} & set(out)


def test_a_passing_result_names_no_label_or_form():
    result = ModerationResult(suggestion="pass", label="Porn", form="Image", segments=[])
    assert wire.results.review_output(result, []) == {
        "Suggestion": "pass",
        "Label": "",
        "Form": "",
        "SegmentSet": [],
    }
    assert wire.results.empty_output() == wire.results.review_output(result, [])


def test_review_info_lists_the_flagged_forms_and_labels_once():
    segs = wire.results.segment_set([_segment(), _segment(start=3.0), _segment(form="ASR", label="Abuse")])
    info = wire.results.review_info(10, {"Suggestion": "review"}, segs, datetime(2026, 1, 2, 3, 4, 5))
    assert (info["Definition"], info["Suggestion"], info["TypeSet"]) == (
        10,
        "review",
        ["OCR.Ad", "ASR.Abuse"],
    )


def test_media_metadata_on_the_wire():
    path = fixture_path("text_video.mp4")
    meta = wire.results.media_meta(probe(path, Limits()))
    assert meta["Size"] == path.stat().st_size
    assert meta["Container"] == "mov,mp4,m4a,3gp,3g2,mj2"
    assert (meta["Width"], meta["Height"], meta["Rotate"]) == (640, 360, 0)
    assert meta["Duration"] == pytest.approx(20.0, abs=0.05)
    assert meta["VideoDuration"] == pytest.approx(20.0, abs=0.05)
    assert meta["AudioDuration"] == pytest.approx(20.0, abs=0.1)
    assert meta["Bitrate"] > 0
    (video,) = meta["VideoStreamSet"]
    assert video["Codec"] == "h264" and video["Fps"] == 25
    assert (video["Width"], video["Height"]) == (640, 360) and video["Bitrate"] > 0
    (audio,) = meta["AudioStreamSet"]
    assert audio == {"Bitrate": audio["Bitrate"], "SamplingRate": 44100, "Codec": "aac"}
    assert "Md5" not in meta
    assert wire.results.media_meta(probe(fixture_path("rotated.mp4"), Limits()))["Rotate"] == 90


def test_custom_labels_go_on_the_wire_only_when_a_template_has_some():
    plain = wire.shapes.review_template(PRESET).model_dump()
    assert "CustomLabels" not in plain and plain["CreateTime"] == "2018-07-17T00:00:00Z"
    view = ReviewTemplateView(
        definition=10001, type="Custom", name="n", comment="", labels=["Ad"],
        custom_labels=[CustomLabel("Ad", "Loans", ("a", "b"))],
    )  # fmt: skip
    custom = wire.shapes.review_template(view).model_dump()
    assert custom["CustomLabels"] == [{"Label": "Ad", "SubLabel": "Loans", "Examples": ["a", "b"]}]


def test_null_slots_are_sent_as_null():
    info = wire.shapes.MediaInfo(FileId="1", BasicInfo=None, MetaData=None, ReviewInfo=None).model_dump()
    assert info["TranscodeInfo"] is None and info["FaceRecognitionInfo"] is None
    assert list(info)[0] == "FileId" and list(info)[-3:] == ["BasicInfo", "MetaData", "ReviewInfo"]


def test_a_response_model_refuses_a_field_it_does_not_declare():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="Extra"):
        wire.responses.ReviewAudioVideoResponse(TaskId="t", Taskid="typo")  # type: ignore[call-arg]


def test_every_action_returns_a_response_model():
    import typing

    from vodguard.api import actions  # noqa: F401  (registers them)
    from vodguard.api.registry import ACTIONS

    untyped = [
        name
        for name, act in ACTIONS.items()
        if not (
            isinstance(ret := typing.get_type_hints(act.handler).get("return"), type)
            and issubclass(ret, wire.shapes.WireModel)
        )
    ]
    assert len(ACTIONS) > 20 and untyped == []
