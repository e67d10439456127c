"""ApplyUpload and CommitUpload (spec §2.7–2.8)."""

from __future__ import annotations

from vodguard.api.registry import Ctx, VodRequest, action
from vodguard.services import uploads, wire
from vodguard.services.wire.responses import ApplyUploadResponse, CommitUploadResponse


class ApplyUploadRequest(VodRequest):
    MediaType: str
    MediaName: str | None = None
    CoverType: str | None = None
    Procedure: str | None = None
    ExpireTime: str | None = None
    StorageRegion: str | None = None
    ClassId: int | None = None
    SourceContext: str | None = None
    SessionContext: str | None = None
    ExtInfo: str | None = None
    MediaStoragePath: str | None = None


class CommitUploadRequest(VodRequest):
    VodSessionKey: str


@action("ApplyUpload")
def apply_upload(ctx: Ctx, req: ApplyUploadRequest) -> ApplyUploadResponse:
    params = uploads.UploadParams(
        media_type=req.MediaType, media_name=req.MediaName or "", cover_type=req.CoverType or "",
        procedure=req.Procedure or "", expire_time=req.ExpireTime or "", storage_region=req.StorageRegion or "",
        class_id=req.ClassId or 0, source_context=req.SourceContext or "", session_context=req.SessionContext or "",
        media_storage_path=req.MediaStoragePath or "",
    )  # fmt: skip
    settings = ctx.services.settings
    with ctx.tx() as s:
        row = uploads.apply_upload(
            s, app_id=ctx.app_id, params=params, ttl=settings.upload_session_seconds, now=ctx.now
        )
        return wire.responses.apply_upload(
            row, storage_region=params.storage_region or settings.storage_region
        )


@action("CommitUpload")
def commit_upload(ctx: Ctx, req: CommitUploadRequest) -> CommitUploadResponse:
    result = uploads.commit_upload(ctx.services, app=ctx.app, session_key=req.VodSessionKey, now=ctx.now)
    return CommitUploadResponse(FileId=result.file_id, MediaUrl=result.media_url, CoverUrl=result.cover_url)
