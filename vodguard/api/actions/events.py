"""Event actions (spec §2.5–2.6): ModifyEventConfig, DescribeEventConfig, PullEvents, ConfirmEvents."""

from __future__ import annotations

from vodguard.api.registry import Ctx, VodRequest, action
from vodguard.errors import InvalidParameterValue
from vodguard.services import events, wire
from vodguard.services.destinations import AllowList
from vodguard.services.wire.responses import DescribeEventConfigResponse, EmptyResponse, PullEventsResponse


class ModifyEventConfigRequest(VodRequest):
    Mode: str | None = None
    NotificationUrl: str | None = None
    UploadMediaCompleteEventSwitch: str | None = None
    DeleteMediaCompleteEventSwitch: str | None = None
    PersistenceCompleteEventSwitch: str | None = None
    SignKey: str | None = None


class DescribeEventConfigRequest(VodRequest):
    pass


class PullEventsRequest(VodRequest):
    ExtInfo: str | None = None


class ConfirmEventsRequest(VodRequest):
    EventHandles: list[str]
    ExtInfo: str | None = None


@action("ModifyEventConfig")
def modify_event_config(ctx: Ctx, req: ModifyEventConfigRequest) -> EmptyResponse:
    with ctx.tx() as s:
        events.modify_config(
            s, app_id=ctx.app_id, mode=req.Mode, notification_url=req.NotificationUrl,
            upload_switch=req.UploadMediaCompleteEventSwitch, delete_switch=req.DeleteMediaCompleteEventSwitch,
            persistence_switch=req.PersistenceCompleteEventSwitch, sign_key=req.SignKey,
            allow=AllowList.parse(ctx.services.settings.notify_allow),
        )  # fmt: skip
    return EmptyResponse()


@action("DescribeEventConfig", rate_limit="event_config_rate_per_app")
def describe_event_config(ctx: Ctx, req: DescribeEventConfigRequest) -> DescribeEventConfigResponse:
    with ctx.tx() as s:
        return wire.responses.describe_event_config(events.get_config(s, ctx.app_id))


@action("PullEvents")
async def pull_events(ctx: Ctx, req: PullEventsRequest) -> PullEventsResponse:
    # async: the long poll waits on the event loop, not on one of the API's threads (audit D5)
    found = await events.pull_events(
        ctx.services.db,
        ctx.services.wakeups,
        app_id=ctx.app_id,
        hold_seconds=ctx.services.settings.pull_hold_seconds,
    )
    return PullEventsResponse(EventSet=found)


@action("ConfirmEvents")
def confirm_events(ctx: Ctx, req: ConfirmEventsRequest) -> EmptyResponse:
    if not req.EventHandles or len(req.EventHandles) > events.PULL_BATCH:
        raise InvalidParameterValue(
            f"EventHandles must hold 1 to {events.PULL_BATCH} handles, not {len(req.EventHandles)}"
        )
    with ctx.tx() as s:
        bad = events.confirm(s, app_id=ctx.app_id, handles=req.EventHandles, now=ctx.now)
    if bad:
        # The valid handles were confirmed and committed above; only the bad ones are reported.
        raise InvalidParameterValue(
            f"EventHandles {bad} are unknown or older than {events.HANDLE_SECONDS} s; "
            "their events come back in a later PullEvents"
        )
    return EmptyResponse()
