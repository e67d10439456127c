"""vodguard extension actions: the app's bank of known content (``services/known.py``)."""

from __future__ import annotations

from vodguard.api.registry import Ctx, VodRequest, action
from vodguard.errors import InvalidParameterValue
from vodguard.services import known, wire
from vodguard.services.wire.responses import (
    CreateKnownContentResponse,
    DescribeKnownContentsResponse,
    EmptyResponse,
)


class CreateKnownContentRequest(VodRequest):
    FileId: str
    Label: str
    SubLabel: str | None = None
    Reason: str | None = None
    Operator: str | None = None


class DescribeKnownContentsRequest(VodRequest):
    Offset: int = 0
    Limit: int = 20


class DeleteKnownContentRequest(VodRequest):
    EntryId: str


@action("CreateKnownContent")
def create_known_content(ctx: Ctx, req: CreateKnownContentRequest) -> CreateKnownContentResponse:
    """Hash a stored picture or video and add it to the bank: later uploads that match it are blocked."""
    entry = known.add_media(
        ctx.services, app_id=ctx.app_id, file_id=req.FileId, label=req.Label, sub_label=req.SubLabel or "",
        reason=req.Reason or "", created_by=req.Operator or "api",
    )  # fmt: skip
    with ctx.tx() as s:
        frames = len(known.entry_frames(s, entry_id=entry.id))
    return CreateKnownContentResponse(KnownContent=wire.known.known_content(entry, frames))


@action("DescribeKnownContents")
def describe_known_contents(ctx: Ctx, req: DescribeKnownContentsRequest) -> DescribeKnownContentsResponse:
    """The bank's entries, newest first."""
    if not 1 <= req.Limit <= 100:
        raise InvalidParameterValue("Limit must be between 1 and 100", code="InvalidParameterValue.Limit")
    if req.Offset < 0:
        raise InvalidParameterValue("Offset must be 0 or more", code="InvalidParameterValue.Offset")
    with ctx.tx() as s:
        rows = known.list_entries(s, app_id=ctx.app_id, offset=req.Offset, limit=req.Limit)
        total = known.count_entries(s, app_id=ctx.app_id)
        return DescribeKnownContentsResponse(
            TotalCount=total, KnownContentSet=[wire.known.known_content(e, n) for e, n in rows]
        )


@action("DeleteKnownContent")
def delete_known_content(ctx: Ctx, req: DeleteKnownContentRequest) -> EmptyResponse:
    with ctx.tx() as s:
        known.remove_entry(s, app_id=ctx.app_id, entry_id=req.EntryId)
    return EmptyResponse()
