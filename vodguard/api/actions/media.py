"""DescribeMediaInfos, DeleteMedia, ForbidMediaDistribution (spec §2.9, 2.10, 2.13)."""

from __future__ import annotations

from vodguard.api.registry import Ctx, VodRequest, action
from vodguard.errors import InvalidParameterValue
from vodguard.services import media as media_service
from vodguard.services.wire.responses import (
    DescribeMediaInfosResponse,
    EmptyResponse,
    ForbidMediaDistributionResponse,
)

FILTERS = media_service.MEDIA_INFO_FILTERS


class DescribeMediaInfosRequest(VodRequest):
    FileIds: list[str]
    Filters: list[str] | None = None


class MediaDeleteItem(VodRequest):
    Type: str
    Definition: int | None = None


class DeleteMediaRequest(VodRequest):
    FileId: str
    DeleteParts: list[MediaDeleteItem] | None = None


class ForbidMediaDistributionRequest(VodRequest):
    FileIds: list[str]
    Operation: str


@action("DescribeMediaInfos")
def describe_media_infos(ctx: Ctx, req: DescribeMediaInfosRequest) -> DescribeMediaInfosResponse:
    file_ids = media_service.check_file_ids(req.FileIds)
    filters = set(req.Filters or FILTERS)
    unknown = filters - FILTERS
    if unknown:
        raise InvalidParameterValue(
            f"Filters has unknown items {sorted(unknown)}", code="InvalidParameterValue.Filters"
        )
    ttl = ctx.services.settings.playback_url_seconds
    with ctx.tx() as s:
        found, missing = media_service.find_many(s, app_id=ctx.app_id, file_ids=file_ids)
        infos = [media_service.media_info(m, ctx.services.urls, ttl=ttl, filters=filters) for m in found]
    return DescribeMediaInfosResponse(MediaInfoSet=infos, NotExistFileIdSet=missing)


@action("DeleteMedia")
def delete_media(ctx: Ctx, req: DeleteMediaRequest) -> EmptyResponse:
    parts = {p.Type for p in req.DeleteParts or []}
    if parts and "OriginalFiles" not in parts:
        # Only originals are stored here; deleting derived files that do not exist changes nothing.
        with ctx.tx() as s:
            media_service.get_media(s, app_id=ctx.app_id, file_id=req.FileId)
        return EmptyResponse()
    with ctx.tx() as s:
        media_service.delete_media(
            s, ctx.services.blobs, ctx.services.wakeups, app_id=ctx.app_id, file_id=req.FileId, now=ctx.now
        )
    return EmptyResponse()


@action("ForbidMediaDistribution")
def forbid_media_distribution(
    ctx: Ctx, req: ForbidMediaDistributionRequest
) -> ForbidMediaDistributionResponse:
    with ctx.tx() as s:
        missing = media_service.forbid(
            s, app_id=ctx.app_id, file_ids=req.FileIds, operation=req.Operation, now=ctx.now
        )
    return ForbidMediaDistributionResponse(NotExistFileIdSet=missing)
