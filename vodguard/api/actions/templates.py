"""Review and procedure template actions (spec §2.11–2.12).

``CustomLabels`` on the review template actions is vodguard's extension (docs/compatibility.md): the cloud has no
such field, so the official SDK's models do not carry it; clients send it with ``client.call_json``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from vodguard.api.registry import Ctx, VodRequest, action
from vodguard.errors import UnsupportedOperation
from vodguard.services import templates
from vodguard.timeutil import iso


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


class ModifyReviewTemplateRequest(VodRequest):
    Definition: int
    Name: str | None = None
    Comment: str | None = None
    Labels: list[str] | None = None
    CustomLabels: list[CustomLabelInput] | None = None  # [] removes them all; absent keeps them


class DeleteReviewTemplateRequest(VodRequest):
    Definition: int


class DescribeReviewTemplatesRequest(VodRequest):
    Definitions: list[int] | None = None
    Type: str | None = None
    Offset: int = 0
    Limit: int = 10


def _custom_input(items: list[CustomLabelInput] | None) -> list[dict[str, Any]] | None:
    return None if items is None else [item.model_dump() for item in items]


def review_template_wire(view: templates.ReviewTemplateView) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Definition": view.definition,
        "Name": view.name,
        "Comment": view.comment,
        "Type": view.type,
        "Labels": view.labels,
        "CreateTime": iso(view.created_at) or "2018-07-17T00:00:00Z",
        "UpdateTime": iso(view.updated_at) or "2018-07-17T00:00:00Z",
    }
    if view.custom_labels:  # only then: the SDK's ReviewTemplate model warns about fields it does not know
        out["CustomLabels"] = [
            {"Label": c.label, "SubLabel": c.sub_label, "Examples": list(c.examples)}
            for c in view.custom_labels
        ]
    return out


@action("CreateReviewTemplate")
def create_review_template(ctx: Ctx, req: CreateReviewTemplateRequest) -> dict[str, Any]:
    with ctx.tx() as s:
        view = templates.create_review_template(
            s, app_id=ctx.app_id, labels=req.Labels, name=req.Name, comment=req.Comment,
            custom_labels=_custom_input(req.CustomLabels), now=ctx.now,
        )  # fmt: skip
    return {"Definition": view.definition}


@action("ModifyReviewTemplate")
def modify_review_template(ctx: Ctx, req: ModifyReviewTemplateRequest) -> dict[str, Any]:
    with ctx.tx() as s:
        templates.modify_review_template(
            s, app_id=ctx.app_id, definition=req.Definition, labels=req.Labels, name=req.Name,
            comment=req.Comment, custom_labels=_custom_input(req.CustomLabels), now=ctx.now,
        )  # fmt: skip
    return {}


@action("DeleteReviewTemplate")
def delete_review_template(ctx: Ctx, req: DeleteReviewTemplateRequest) -> dict[str, Any]:
    with ctx.tx() as s:
        templates.delete_review_template(s, app_id=ctx.app_id, definition=req.Definition)
    return {}


@action("DescribeReviewTemplates")
def describe_review_templates(ctx: Ctx, req: DescribeReviewTemplatesRequest) -> dict[str, Any]:
    with ctx.tx() as s:
        total, views = templates.describe_review_templates(
            s,
            app_id=ctx.app_id,
            definitions=req.Definitions,
            type_=req.Type,
            offset=req.Offset,
            limit=req.Limit,
        )
    return {"TotalCount": total, "ReviewTemplateSet": [review_template_wire(v) for v in views]}


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
def create_procedure_template(ctx: Ctx, req: CreateProcedureTemplateRequest) -> dict[str, Any]:
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
    return {}


@action("DeleteProcedureTemplate")
def delete_procedure_template(ctx: Ctx, req: DeleteProcedureTemplateRequest) -> dict[str, Any]:
    with ctx.tx() as s:
        templates.delete_procedure_template(s, app_id=ctx.app_id, name=req.Name)
    return {}


@action("DescribeProcedureTemplates")
def describe_procedure_templates(ctx: Ctx, req: DescribeProcedureTemplatesRequest) -> dict[str, Any]:
    with ctx.tx() as s:
        total, rows = templates.describe_procedure_templates(
            s, app_id=ctx.app_id, names=req.Names, type_=req.Type, offset=req.Offset, limit=req.Limit
        )
        items = [templates.procedure_template_wire(r) for r in rows]
    return {"TotalCount": total, "ProcedureTemplateSet": items}
