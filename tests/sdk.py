"""Small routines around the official SDK that several tests (and the load test) share."""

from __future__ import annotations

import time
from collections import Counter

from tencentcloud.vod.v20180717 import models


def wait_finished(vod, task_id: str, timeout: float = 240) -> models.DescribeTaskDetailResponse:
    """Poll DescribeTaskDetail until the task is FINISH or ABORTED."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        req = models.DescribeTaskDetailRequest()
        req.TaskId = task_id
        detail = vod.DescribeTaskDetail(req)
        if detail.Status in ("FINISH", "ABORTED"):
            return detail
        time.sleep(0.3)
    raise AssertionError(f"task {task_id} did not finish in {timeout} s")


def pull_completions(vod, task_ids: list[str], timeout: float = 60) -> Counter[str]:
    """Pull and confirm events until every task's ReviewAudioVideoComplete arrived; how often each arrived."""
    delivered: Counter[str] = Counter()
    deadline = time.monotonic() + timeout
    while set(delivered) < set(task_ids) and time.monotonic() < deadline:
        events = vod.PullEvents(models.PullEventsRequest()).EventSet or []
        for event in events:
            if event.EventType == "ReviewAudioVideoComplete":
                delivered[event.ReviewAudioVideoCompleteEvent.TaskId] += 1
        if events:
            confirm = models.ConfirmEventsRequest()
            confirm.EventHandles = [e.EventHandle for e in events]
            vod.ConfirmEvents(confirm)
    return delivered
