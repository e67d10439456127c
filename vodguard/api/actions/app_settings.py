"""vodguard extension actions: an app's own settings (publishing mode)."""

from __future__ import annotations

from typing import Any

from vodguard.api.registry import Ctx, VodRequest, action
from vodguard.services import apps


class ModifyAppSettingsRequest(VodRequest):
    PublishMode: str | None = None


class DescribeAppSettingsRequest(VodRequest):
    pass


@action("ModifyAppSettings")
def modify_app_settings(ctx: Ctx, req: ModifyAppSettingsRequest) -> dict[str, Any]:
    """``PublishMode``: ``post`` (playable at once, forbidden when a review blocks) or ``pre`` (playable once passed
    or approved)."""
    if req.PublishMode is not None:
        with ctx.tx() as s:
            apps.set_publish_mode(s, app_id=ctx.app_id, mode=req.PublishMode)
    return {}


@action("DescribeAppSettings")
def describe_app_settings(ctx: Ctx, req: DescribeAppSettingsRequest) -> dict[str, Any]:
    with ctx.tx() as s:
        app = apps.get_app(s, ctx.app_id)
        return {"SubAppId": app.id, "Name": app.name, "PublishMode": app.publish_mode}
