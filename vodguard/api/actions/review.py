"""Moderation actions: ReviewAudioVideo, ReviewImage, ProcessMediaByProcedure, DescribeTaskDetail, DescribeTasks,
and the extension actions SetReviewDecision / DescribeReviewDecisions (a person's approve or block, spec §2.13)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from vodguard.api.registry import Ctx, VodRequest, action
from vodguard.errors import InvalidParameterValue, MissingParameter
from vodguard.services import decisions, procedures, reviews, tasks, templates
from vodguard.services import media as media_service
from vodguard.timeutil import iso, parse_iso


class ReviewAudioVideoRequest(VodRequest):
    FileId: str | None = None
    MediaStoragePath: str | None = None
    ReviewContents: list[str] | None = None
    Definition: int | None = None
    TasksPriority: int | None = None
    SessionContext: str | None = None
    SessionId: str | None = None
    ExtInfo: str | None = None


def _media(ctx: Ctx, s: Session, file_id: str | None, storage_path: str | None) -> media_service.Media:
    if not file_id and not storage_path:
        raise MissingParameter("FileId or MediaStoragePath is required")
    return media_service.get_media(s, app_id=ctx.app_id, file_id=file_id, storage_path=storage_path)


def _contents(values: list[str] | None) -> list[str]:
    contents = list(dict.fromkeys(values or ["Media"]))
    bad = [c for c in contents if c not in templates.REVIEW_CONTENTS]
    if bad:
        raise InvalidParameterValue(
            f"ReviewContents has unknown items {bad}; allowed: Media, Cover",
            code="InvalidParameterValue.ReviewContents",
        )
    return contents


@action("ReviewAudioVideo", rate_limit="review_rate_per_app")
def review_audio_video(ctx: Ctx, req: ReviewAudioVideoRequest) -> dict[str, Any]:
    with ctx.tx() as s:
        media = _media(ctx, s, req.FileId, req.MediaStoragePath)
        task_id = tasks.start_review(
            s, services=ctx.services, media=media, definition=req.Definition if req.Definition is not None else 10,
            contents=_contents(req.ReviewContents), priority=req.TasksPriority or 0, session_id=req.SessionId or "",
            session_context=req.SessionContext or "", ext_info=req.ExtInfo or "", now=ctx.now,
        )  # fmt: skip
    return {"TaskId": task_id}


class ReviewImageRequest(VodRequest):
    Definition: int
    FileId: str | None = None
    MediaStoragePath: str | None = None


@action("ReviewImage")
def review_image(ctx: Ctx, req: ReviewImageRequest) -> dict[str, Any]:
    with ctx.tx() as s:
        media = _media(ctx, s, req.FileId, req.MediaStoragePath)
    result = reviews.review_image(ctx.services, app_id=ctx.app_id, media=media, definition=req.Definition)
    return {"MediaReviewResult": result, "ReviewResultSet": []}


class ProcessMediaByProcedureRequest(VodRequest):
    ProcedureName: str
    FileId: str | None = None
    MediaStoragePath: str | None = None
    TasksPriority: int | None = None
    TasksNotifyMode: str | None = None
    SessionContext: str | None = None
    SessionId: str | None = None
    ExtInfo: str | None = None


@action("ProcessMediaByProcedure")
def process_media_by_procedure(ctx: Ctx, req: ProcessMediaByProcedureRequest) -> dict[str, Any]:
    if req.TasksNotifyMode not in (None, "", "Finish", "Change", "None"):
        raise InvalidParameterValue("TasksNotifyMode must be Finish, Change or None", code="InvalidParameterValue.TasksNotifyMode")  # fmt: skip
    with ctx.tx() as s:
        media = _media(ctx, s, req.FileId, req.MediaStoragePath)
        task_id = procedures.run_procedure(
            s, services=ctx.services, media=media, procedure=req.ProcedureName, priority=req.TasksPriority or 0,
            session_id=req.SessionId or "", session_context=req.SessionContext or "", now=ctx.now,
        )  # fmt: skip
    return {"TaskId": "", "ReviewAudioVideoTaskId": task_id, "ImportMediaKnowledgeTaskIdSet": []}


class DescribeTaskDetailRequest(VodRequest):
    TaskId: str


@action("DescribeTaskDetail")
def describe_task_detail(ctx: Ctx, req: DescribeTaskDetailRequest) -> dict[str, Any]:
    with ctx.tx() as s:
        task = tasks.get_task(s, app_id=ctx.app_id, task_id=req.TaskId, now=ctx.now)
        return tasks.task_detail(task)


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
def describe_tasks(ctx: Ctx, req: DescribeTasksRequest) -> dict[str, Any]:
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
        return {"TaskSet": [tasks.simple_info(t) for t in rows], "ScrollToken": token}


class SetReviewDecisionRequest(VodRequest):
    FileId: str
    Decision: str
    Reason: str | None = None
    Operator: str | None = None


@action("SetReviewDecision")
def set_review_decision(ctx: Ctx, req: SetReviewDecisionRequest) -> dict[str, Any]:
    """vodguard extension: a person approves (publishes) or blocks (forbids) a media."""
    if req.Operator == decisions.SAME_CONTENT:
        raise InvalidParameterValue(
            f"Operator {req.Operator!r} is reserved for decisions vodguard takes over from identical bytes",
            code="InvalidParameterValue.Operator",
        )
    with ctx.tx() as s:
        row = decisions.decide(
            s, app_id=ctx.app_id, file_id=req.FileId, decision=req.Decision, reason=req.Reason or "",
            operator=req.Operator or "api", now=ctx.now,
        )  # fmt: skip
        return {"DecisionId": row.id}


class DescribeReviewDecisionsRequest(VodRequest):
    FileId: str | None = None
    Offset: int = 0
    Limit: int = 20


@action("DescribeReviewDecisions")
def describe_review_decisions(ctx: Ctx, req: DescribeReviewDecisionsRequest) -> dict[str, Any]:
    """vodguard extension: the audit log of people's decisions, newest first."""
    if not 1 <= req.Limit <= 100:
        raise InvalidParameterValue("Limit must be between 1 and 100", code="InvalidParameterValue.Limit")
    with ctx.tx() as s:
        rows = decisions.history(
            s, app_id=ctx.app_id, file_id=req.FileId, offset=max(req.Offset, 0), limit=req.Limit
        )
        items = [
            {"DecisionId": r.id, "FileId": r.file_id, "Decision": r.decision, "Reason": r.reason,
             "Operator": r.operator, "CreateTime": iso(r.created_at)}
            for r in rows
        ]  # fmt: skip
    return {"DecisionSet": items}
