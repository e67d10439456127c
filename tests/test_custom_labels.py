"""Custom labels on review templates (an extension: the SDK sends them with ``call_json``): the round trip, every
refusal naming its field, and a ReviewImage that reports the app's own sub-label."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.vod.v20180717 import models

from tests.custom_examples import CRYPTO, captioned_png

# the module's server, its app key and SDK client: tests/conftest.py


def crypto(**changes: Any) -> dict[str, Any]:
    return {"Label": "Ad", "SubLabel": "Crypto", "Examples": list(CRYPTO), **changes}


def create(vod, **params: Any) -> int:
    return vod.call_json("CreateReviewTemplate", {"Labels": ["Ad", "Porn"], **params})["Response"][
        "Definition"
    ]


def describe(vod, definition: int) -> dict[str, Any]:
    answer = vod.call_json("DescribeReviewTemplates", {"Definitions": [definition]})["Response"]
    return answer["ReviewTemplateSet"][0]


def refused(call, *args: Any) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as err:
        call(*args)
    return err.value


def test_custom_labels_round_trip_and_can_be_removed(vod):
    definition = create(vod, Name="crypto scams", CustomLabels=[crypto()])
    assert describe(vod, definition)["CustomLabels"] == [crypto()]

    edited = crypto(Examples=[*CRYPTO[:-1], "Get rich with the next coin pump tonight"])
    vod.call_json("ModifyReviewTemplate", {"Definition": definition, "CustomLabels": [edited]})
    assert describe(vod, definition)["CustomLabels"] == [edited]

    vod.call_json("ModifyReviewTemplate", {"Definition": definition, "Labels": ["Ad"], "Name": "ads"})
    assert describe(vod, definition)["CustomLabels"] == [edited]  # absent from a call: kept

    req = models.DescribeReviewTemplatesRequest()  # the official SDK reads such a template as usual
    req.Definitions = [definition]
    assert vod.DescribeReviewTemplates(req).ReviewTemplateSet[0].Labels == ["Ad"]

    vod.call_json("ModifyReviewTemplate", {"Definition": definition, "CustomLabels": []})
    assert "CustomLabels" not in describe(vod, definition)


def test_examples_are_kept_as_text_moderation_reads_them(vod):
    spaced = [f"  {CRYPTO[0]}\n", CRYPTO[1].replace(" ", "\n  "), *CRYPTO[2:], CRYPTO[2]]
    definition = create(vod, CustomLabels=[crypto(Examples=spaced)])
    assert describe(vod, definition)["CustomLabels"] == [crypto()]  # whitespace collapsed, a repeat dropped
    repeated = [*CRYPTO[:19], *CRYPTO[:19]]
    err = refused(vod.call_json, "CreateReviewTemplate", {"Labels": ["Ad"], "CustomLabels": [crypto(Examples=repeated)]})  # fmt: skip
    assert "(got 19)" in err.get_message()  # repeats do not count towards the twenty


@pytest.mark.parametrize(
    "custom_labels, field",
    [
        ([crypto(Label="Gossip")], "CustomLabels[0].Label"),
        ([crypto(Label="Terror")], "CustomLabels[0].Label"),  # not among the template's Labels
        ([crypto(SubLabel="crypto scam")], "CustomLabels[0].SubLabel"),
        ([crypto(SubLabel="")], "CustomLabels[0].SubLabel"),
        ([crypto(SubLabel="x" * 33)], "CustomLabels[0].SubLabel"),
        ([crypto(), crypto()], "CustomLabels[1].SubLabel"),  # the same sub-label twice under one label
        ([crypto(Examples=list(CRYPTO[:19]))], "CustomLabels[0].Examples"),
        ([crypto(Examples=[f"coin pump number {i}" for i in range(501)])], "CustomLabels[0].Examples"),
        ([crypto(Examples=[*CRYPTO[:3], "x" * 501, *CRYPTO[3:]])], "CustomLabels[0].Examples[3]"),
        ([crypto(), crypto(SubLabel="Pump", Examples=["  ", *CRYPTO])], "CustomLabels[1].Examples[0]"),
        ([crypto(SubLabel=f"Crypto{i}") for i in range(11)], "CustomLabels"),
    ],
)
def test_bad_custom_labels_are_refused_naming_the_field(vod, custom_labels, field):
    err = refused(
        vod.call_json, "CreateReviewTemplate", {"Labels": ["Ad", "Porn"], "CustomLabels": custom_labels}
    )
    assert err.get_code() == "InvalidParameterValue.CustomLabels"
    assert err.get_message().startswith(field + " "), err.get_message()


def test_malformed_custom_labels_are_refused_naming_the_field(vod):
    missing = refused(vod.call_json, "CreateReviewTemplate", {"Labels": ["Ad"], "CustomLabels": [{"Label": "Ad", "Examples": list(CRYPTO)}]})  # fmt: skip
    assert missing.get_code() == "MissingParameter" and "CustomLabels[0].SubLabel" in missing.get_message()
    wrong = refused(vod.call_json, "CreateReviewTemplate", {"Labels": ["Ad"], "CustomLabels": [crypto(Examples="buy coins")]})  # fmt: skip
    assert wrong.get_code() == "InvalidParameter" and "CustomLabels[0].Examples" in wrong.get_message()


def test_a_refused_modification_changes_nothing(vod):
    definition = create(vod, CustomLabels=[crypto()])
    err = refused(vod.call_json, "ModifyReviewTemplate", {"Definition": definition, "Labels": ["Porn"]})
    assert err.get_code() == "InvalidParameterValue.Labels" and "CustomLabels[0].Label" in err.get_message()
    err = refused(vod.call_json, "ModifyReviewTemplate", {"Definition": definition, "Name": "new", "CustomLabels": [crypto(SubLabel="a b")]})  # fmt: skip
    assert "CustomLabels[0].SubLabel" in err.get_message()
    template = describe(vod, definition)
    assert (template["Name"], template["Labels"], template["CustomLabels"]) == (
        "",
        ["Ad", "Porn"],
        [crypto()],
    )
    vod.call_json("ModifyReviewTemplate", {"Definition": definition, "Labels": ["Porn"], "CustomLabels": []})
    assert describe(vod, definition)["Labels"] == ["Porn"]  # both in one call


def test_review_image_reports_the_apps_own_sub_label(server, keys, vod):
    token = base64.b64encode(f"{keys.secret_id}:{keys.secret_key}".encode()).decode()
    picture = captioned_png("Join the channel, next coin pump is tomorrow, get rich quick")
    uploaded = httpx.post(
        f"{server.url}/upload", files={"file": ("promo.png", picture)},
        headers={"Authorization": f"Basic {token}"}, timeout=60,
    )  # fmt: skip
    assert uploaded.status_code == 200, uploaded.text
    req = models.ReviewImageRequest()
    req.FileId, req.Definition = uploaded.json()["FileId"], create(vod, CustomLabels=[crypto()])
    result = vod.ReviewImage(req).MediaReviewResult
    assert (result.Suggestion, result.Label, result.Form) == ("review", "Ad", "OCR")
    assert [(s.Label, s.SubLabel) for s in result.SegmentSet] == [("Ad", "Crypto")]


def test_the_api_asks_for_as_many_examples_as_the_engine_needs():
    from vodguard.moderation.text.intent import MIN_CUSTOM_EXAMPLES
    from vodguard.services.template_labels import MIN_EXAMPLES

    assert MIN_EXAMPLES == MIN_CUSTOM_EXAMPLES
