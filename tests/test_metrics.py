"""/metrics for Prometheus, and JSON logs that carry the RequestId."""

from __future__ import annotations

import json
import logging

import httpx
from tencentcloud.vod.v20180717 import models

from vodguard import logs


def test_metrics_count_requests_and_show_queue_depth(server, vod):
    vod.DescribeReviewTemplates(models.DescribeReviewTemplatesRequest())
    try:
        vod.call_json("NoSuchAction", {})
    except Exception:
        pass
    text = httpx.get(f"{server.url}/metrics").text
    assert 'vodguard_api_requests_total{action="DescribeReviewTemplates",code="OK"}' in text
    assert 'vodguard_api_requests_total{action="unknown",code="InvalidAction"}' in text
    assert "vodguard_api_request_seconds_bucket" in text
    assert "vodguard_tasks_waiting " in text and "# TYPE vodguard_tasks_waiting gauge" in text


def test_json_log_lines_carry_the_request_id(capsys):
    logs.configure("json")
    try:
        token = logs.request_id.set("rid-123")
        logging.getLogger("vodguard.test").warning("something to see")
        logs.request_id.reset(token)
        line = capsys.readouterr().err.strip().splitlines()[-1]
        entry = json.loads(line)
        assert entry["request_id"] == "rid-123" and entry["message"] == "something to see"
        assert entry["level"] == "WARNING" and entry["time"].endswith("Z")
    finally:
        logging.getLogger().handlers.clear()
