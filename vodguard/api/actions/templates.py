"""Review and procedure template actions (spec §2.11–2.12).

``CustomLabels`` and ``Budget`` on the review template actions are vodguard's extensions (docs/compatibility.md):
the cloud has no such fields, so the official SDK's models do not carry them; clients send them with
``client.call_json``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from vodguard.api.registry import Ctx, VodRequest, action
from vodguard.errors import UnsupportedOperation
from vodguard.services import templates
from vodguard.services.wire import shapes
from vodguard.services.wire.responses import (
    CreateReviewTemplateResponse,
    DescribeProcedureTemplatesResponse,
    DescribeReviewTemplatesResponse,
    EmptyResponse,
)


class CustomLabelInput(BaseModel):
    """One of an app's own text labels (extension): its values are checked by the templates service."""

    model_config = ConfigDict(extra="ignore")
    Label: str
    SubLabel: str
    Examples: list[str]


class CreateReviewTemplateRequest(VodRequest):
    SubAppId: int | None = None  # the SDK types it as a string here; pydantic accepts "123" too
    Labels: list[str]
    Name: str | None = None
    Comment: str | None = None
    CustomLabels: list[CustomLabelInput] | None = None
    Budget: str | None = None  # fast / balanced (default) / thorough


class ModifyReviewTemplateRequest(VodRequest):
    Definition: int
    Name: str | None = None
    Comment: str | None = None
    Labels: list[str] | None = None
    CustomLabels: list[CustomLabelInput] | None = None  # [] removes them all; absent keeps them
    Budget: str | None = None  # absent keeps it


class DeleteReviewTemplateRequest(VodRequest):
    Definition: int


class DescribeReviewTemplatesRequest(VodRequest):
    Definitions: list[int] | None = None
    Type: str | None = None
    Offset: int = 0
    Limit: int = 10


def _custom_input(items: list[CustomLabelInput] | None) -> list[dict[str, Any]] | None:
    return None if items is None else [item.model_dump() for item in items]


@action("CreateReviewTemplate")
def create_review_template(ctx: Ctx, req: CreateReviewTemplateRequest) -> CreateReviewTemplateResponse:
    with ctx.tx() as s:
        view = templates.create_review_template(
            s, app_id=ctx.app_id, labels=req.Labels, name=req.Name, comment=req.Comment,
            custom_labels=_custom_input(req.CustomLabels), budget=req.Budget, now=ctx.now,
        )  # fmt: skip
    return CreateReviewTemplateResponse(Definition=view.definition)


@action("ModifyReviewTemplate")
def modify_review_template(ctx: Ctx, req: ModifyReviewTemplateRequest) -> EmptyResponse:
    with ctx.tx() as s:
        templates.modify_review_template(
            s, app_id=ctx.app_id, definition=req.Definition, labels=req.Labels, name=req.Name,
            comment=req.Comment, custom_labels=_custom_input(req.CustomLabels), budget=req.Budget,
            now=ctx.now,
        )  # fmt: skip
    return EmptyResponse()


@action("DeleteReviewTemplate")
def delete_review_template(ctx: Ctx, req: DeleteReviewTemplateRequest) -> EmptyResponse:
    with ctx.tx() as s:
        templates.delete_review_template(s, app_id=ctx.app_id, definition=req.Definition)
    return EmptyResponse()


@action("DescribeReviewTemplates")
def describe_review_templates(
    ctx: Ctx, req: DescribeReviewTemplatesRequest
) -> DescribeReviewTemplatesResponse:
    with ctx.tx() as s:
        total, views = templates.describe_review_templates(
            s,
            app_id=ctx.app_id,
            definitions=req.Definitions,
            type_=req.Type,
            offset=req.Offset,
            limit=req.Limit,
        )
    return DescribeReviewTemplatesResponse(
        TotalCount=total, ReviewTemplateSet=[shapes.review_template(v) for v in views]
    )


class ReviewTaskInput(VodRequest):
    Definition: int
    ReviewContents: list[str] | None = None


class CreateProcedureTemplateRequest(VodRequest):
    Name: str
    Comment: str | None = None
    ReviewAudioVideoTask: ReviewTaskInput | None = None
    # Media processing and AI analysis belong to the cloud's other products; vodguard only moderates.
    MediaProcessTask: dict[str, Any] | None = None
    AiContentReviewTask: dict[str, Any] | None = None
    AiAnalysisTask: dict[str, Any] | None = None
    AiRecognitionTask: dict[str, Any] | None = None


class DeleteProcedureTemplateRequest(VodRequest):
    Name: str


class DescribeProcedureTemplatesRequest(VodRequest):
    Names: list[str] | None = None
    Type: str | None = None
    Offset: int = 0
    Limit: int = 10


@action("CreateProcedureTemplate")
def create_procedure_template(ctx: Ctx, req: CreateProcedureTemplateRequest) -> EmptyResponse:
    for name in ("MediaProcessTask", "AiContentReviewTask", "AiAnalysisTask", "AiRecognitionTask"):
        if getattr(req, name) is not None:
            raise UnsupportedOperation(f"{name} is not supported: vodguard runs ReviewAudioVideoTask only")
    task = req.ReviewAudioVideoTask
    with ctx.tx() as s:
        templates.create_procedure_template(
            s, app_id=ctx.app_id, name=req.Name, comment=req.Comment,
            review_definition=task.Definition if task else None,
            review_contents=task.ReviewContents if task else None, now=ctx.now,
        )  # fmt: skip
    return EmptyResponse()


@action("DeleteProcedureTemplate")
def delete_procedure_template(ctx: Ctx, req: DeleteProcedureTemplateRequest) -> EmptyResponse:
    with ctx.tx() as s:
        templates.delete_procedure_template(s, app_id=ctx.app_id, name=req.Name)
    return EmptyResponse()


@action("DescribeProcedureTemplates")
def describe_procedure_templates(
    ctx: Ctx, req: DescribeProcedureTemplatesRequest
) -> DescribeProcedureTemplatesResponse:
    with ctx.tx() as s:
        total, rows = templates.describe_procedure_templates(
            s, app_id=ctx.app_id, names=req.Names, type_=req.Type, offset=req.Offset, limit=req.Limit
        )
        items = [shapes.procedure_template(r) for r in rows]
    return DescribeProcedureTemplatesResponse(TotalCount=total, ProcedureTemplateSet=items)
