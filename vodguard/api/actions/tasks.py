"""Task actions: DescribeTaskDetail and DescribeTasks (spec §2.3, §2.4)."""

from __future__ import annotations

from datetime import datetime

from vodguard.api.registry import Ctx, VodRequest, action
from vodguard.errors import InvalidParameterValue
from vodguard.services import tasks
from vodguard.services.wire import responses, shapes
from vodguard.services.wire.responses import DescribeTaskDetailResponse, DescribeTasksResponse
from vodguard.timeutil import parse_iso


class DescribeTaskDetailRequest(VodRequest):
    TaskId: str


@action("DescribeTaskDetail")
def describe_task_detail(ctx: Ctx, req: DescribeTaskDetailRequest) -> DescribeTaskDetailResponse:
    with ctx.tx() as s:
        task = tasks.get_task(s, app_id=ctx.app_id, task_id=req.TaskId, now=ctx.now)
        return responses.describe_task_detail(task)


class TimeRange(VodRequest):
    After: str | None = None
    Before: str | None = None


class SortBy(VodRequest):
    Field: str
    Order: str


class DescribeTasksRequest(VodRequest):
    Status: str | None = None
    FileId: str | None = None
    CreateTime: TimeRange | None = None
    FinishTime: TimeRange | None = None
    Sort: SortBy | None = None
    Limit: int | None = None
    ScrollToken: str | None = None


def _time(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        raise InvalidParameterValue(f"{name} {value!r} is not an ISO 8601 date-time", code=f"InvalidParameterValue.{name.split('.')[0]}") from None  # fmt: skip


@action("DescribeTasks")
def describe_tasks(ctx: Ctx, req: DescribeTasksRequest) -> DescribeTasksResponse:
    created, finished = req.CreateTime or TimeRange(), req.FinishTime or TimeRange()
    query = tasks.TaskQuery(
        status=req.Status, file_id=req.FileId,
        created_after=_time(created.After, "CreateTime.After"), created_before=_time(created.Before, "CreateTime.Before"),
        finished_after=_time(finished.After, "FinishTime.After"), finished_before=_time(finished.Before, "FinishTime.Before"),
        sort_field=req.Sort.Field if req.Sort else "CreateTime", sort_order=req.Sort.Order if req.Sort else "Desc",
        limit=req.Limit if req.Limit is not None else 10, scroll_token=req.ScrollToken or "",
    )  # fmt: skip
    with ctx.tx() as s:
        rows, token = tasks.list_tasks(s, app_id=ctx.app_id, query=query, now=ctx.now)
        return DescribeTasksResponse(TaskSet=[shapes.task_simple_info(t) for t in rows], ScrollToken=token)
