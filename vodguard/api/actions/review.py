"""Moderation requests: ReviewAudioVideo, ReviewImage and ProcessMediaByProcedure (spec §2.1, §2.2, §2.13).
The tasks they start are described in ``tasks.py``; a person's decisions are ``decisions.py``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from vodguard.api.registry import Ctx, VodRequest, action
from vodguard.errors import InvalidParameterValue, MissingParameter
from vodguard.services import media as media_service
from vodguard.services import procedures, reviews, tasks, templates
from vodguard.services.wire.responses import (
    ProcessMediaByProcedureResponse,
    ReviewAudioVideoResponse,
    ReviewImageResponse,
)


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
def review_audio_video(ctx: Ctx, req: ReviewAudioVideoRequest) -> ReviewAudioVideoResponse:
    with ctx.tx() as s:
        media = _media(ctx, s, req.FileId, req.MediaStoragePath)
        task_id = tasks.start_review(
            s, services=ctx.services, media=media, definition=req.Definition if req.Definition is not None else 10,
            contents=_contents(req.ReviewContents), priority=req.TasksPriority or 0, session_id=req.SessionId or "",
            session_context=req.SessionContext or "", ext_info=req.ExtInfo or "", now=ctx.now,
        )  # fmt: skip
    return ReviewAudioVideoResponse(TaskId=task_id)


class ReviewImageRequest(VodRequest):
    Definition: int
    FileId: str | None = None
    MediaStoragePath: str | None = None


@action("ReviewImage")
def review_image(ctx: Ctx, req: ReviewImageRequest) -> ReviewImageResponse:
    with ctx.tx() as s:
        media = _media(ctx, s, req.FileId, req.MediaStoragePath)
    result = reviews.review_image(ctx.services, app_id=ctx.app_id, media=media, definition=req.Definition)
    return ReviewImageResponse(MediaReviewResult=result, ReviewResultSet=[])


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
def process_media_by_procedure(
    ctx: Ctx, req: ProcessMediaByProcedureRequest
) -> ProcessMediaByProcedureResponse:
    if req.TasksNotifyMode not in (None, "", "Finish", "Change", "None"):
        raise InvalidParameterValue("TasksNotifyMode must be Finish, Change or None", code="InvalidParameterValue.TasksNotifyMode")  # fmt: skip
    with ctx.tx() as s:
        media = _media(ctx, s, req.FileId, req.MediaStoragePath)
        task_id = procedures.run_procedure(
            s, services=ctx.services, media=media, procedure=req.ProcedureName, priority=req.TasksPriority or 0,
            session_id=req.SessionId or "", session_context=req.SessionContext or "", now=ctx.now,
        )  # fmt: skip
    return ProcessMediaByProcedureResponse(
        TaskId="", ReviewAudioVideoTaskId=task_id, ImportMediaKnowledgeTaskIdSet=[]
    )
