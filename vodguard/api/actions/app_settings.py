"""vodguard extension actions: an app's own settings (publishing mode)."""

from __future__ import annotations

from vodguard.api.registry import Ctx, VodRequest, action
from vodguard.services import apps
from vodguard.services.wire.responses import DescribeAppSettingsResponse, EmptyResponse


class ModifyAppSettingsRequest(VodRequest):
    PublishMode: str | None = None


class DescribeAppSettingsRequest(VodRequest):
    pass


@action("ModifyAppSettings")
def modify_app_settings(ctx: Ctx, req: ModifyAppSettingsRequest) -> EmptyResponse:
    """``PublishMode``: ``post`` (playable at once, forbidden when a review blocks) or ``pre`` (playable once passed
    or approved)."""
    if req.PublishMode is not None:
        with ctx.tx() as s:
            apps.set_publish_mode(s, app_id=ctx.app_id, mode=req.PublishMode)
    return EmptyResponse()


@action("DescribeAppSettings")
def describe_app_settings(ctx: Ctx, req: DescribeAppSettingsRequest) -> DescribeAppSettingsResponse:
    with ctx.tx() as s:
        app = apps.get_app(s, ctx.app_id)
        return DescribeAppSettingsResponse(SubAppId=app.id, Name=app.name, PublishMode=app.publish_mode)
