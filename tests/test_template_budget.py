"""A review template's Budget (an extension: fast / balanced / thorough, sent with ``call_json``) through the
official SDK: the round trip, refusals naming the field, and a task reviewed under a fast template."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.vod.v20180717 import models

from tests.paths import fixture_path
from tests.sdk import wait_finished

# the module's server, its app key and SDK client: tests/conftest.py


def create(vod, **params: Any) -> int:
    answer = vod.call_json("CreateReviewTemplate", {"Labels": ["Ad", "Porn"], **params})
    return int(answer["Response"]["Definition"])


def described(vod, definition: int) -> dict[str, Any]:
    answer = vod.call_json("DescribeReviewTemplates", {"Definitions": [definition]})["Response"]
    return dict(answer["ReviewTemplateSet"][0])


def test_budget_round_trip(vod):
    definition = create(vod, Budget="fast")
    assert described(vod, definition)["Budget"] == "fast"
    vod.call_json("ModifyReviewTemplate", {"Definition": definition, "Budget": "thorough"})
    assert described(vod, definition)["Budget"] == "thorough"
    vod.call_json("ModifyReviewTemplate", {"Definition": definition, "Name": "kept"})  # absent: kept
    assert described(vod, definition)["Budget"] == "thorough"

    req = models.DescribeReviewTemplatesRequest()  # the official SDK reads such a template as usual
    req.Definitions = [definition]
    assert vod.DescribeReviewTemplates(req).ReviewTemplateSet[0].Name == "kept"

    # balanced, the default, is not written out: the SDK's model does not know the field
    vod.call_json("ModifyReviewTemplate", {"Definition": definition, "Budget": "balanced"})
    assert "Budget" not in described(vod, definition)
    assert "Budget" not in described(vod, create(vod))
    assert "Budget" not in described(vod, 10)


@pytest.mark.parametrize("value", ["quick", "", "FAST", " fast"])
def test_a_bad_budget_is_refused_naming_the_field(vod, value):
    for action, params in (
        ("CreateReviewTemplate", {"Labels": ["Ad"]}),
        ("ModifyReviewTemplate", {"Definition": create(vod, Budget="fast")}),
    ):
        with pytest.raises(TencentCloudSDKException) as err:
            vod.call_json(action, {**params, "Budget": value})
        assert err.value.get_code() == "InvalidParameterValue.Budget", action
        message = err.value.get_message()
        assert message.startswith("Budget ") and "fast, balanced, thorough" in message, message
    if value:  # a refused modification changes nothing
        definition = create(vod, Budget="fast")
        with pytest.raises(TencentCloudSDKException):
            vod.call_json("ModifyReviewTemplate", {"Definition": definition, "Name": "x", "Budget": value})
        assert (described(vod, definition)["Budget"], described(vod, definition)["Name"]) == ("fast", "")


def test_a_budget_that_is_not_text_is_refused_naming_the_field(vod):
    with pytest.raises(TencentCloudSDKException) as err:
        vod.call_json("CreateReviewTemplate", {"Labels": ["Ad"], "Budget": 2})
    assert err.value.get_code().startswith("InvalidParameter") and "Budget" in err.value.get_message()


def test_a_task_under_a_fast_template_finds_the_caption(server, keys, vod):
    token = base64.b64encode(f"{keys.secret_id}:{keys.secret_key}".encode()).decode()
    with fixture_path("text_video.mp4").open("rb") as f:
        uploaded = httpx.post(
            f"{server.url}/upload", files={"file": ("captions.mp4", f)},
            headers={"Authorization": f"Basic {token}"}, timeout=60,
        )  # fmt: skip
    assert uploaded.status_code == 200, uploaded.text
    req = models.ReviewAudioVideoRequest()
    req.FileId, req.Definition = uploaded.json()["FileId"], create(vod, Budget="fast")
    detail = wait_finished(vod, vod.ReviewAudioVideo(req).TaskId)
    output = detail.ReviewAudioVideoTask.Output
    assert (output.Suggestion, output.Label) == ("block", "Porn")


def test_the_consoles_catalogue_names_every_budget():
    from vodguard.moderation.plan import BUDGETS
    from vodguard.services.templates import BUDGET_NAMES

    assert BUDGET_NAMES == tuple(BUDGETS)
