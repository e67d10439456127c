"""vodguard's extension actions for people's decisions: SetReviewDecision and DescribeReviewDecisions (a person
approves or blocks a media; spec §2.13)."""

from __future__ import annotations

from vodguard.api.registry import Ctx, VodRequest, action
from vodguard.errors import InvalidParameterValue
from vodguard.services import decisions, known, known_banking
from vodguard.services.wire import shapes
from vodguard.services.wire.responses import DescribeReviewDecisionsResponse, SetReviewDecisionResponse


class SetReviewDecisionRequest(VodRequest):
    FileId: str
    Decision: str
    Reason: str | None = None
    Operator: str | None = None
    Label: str | None = None  # what the bank of known content records for a block (default: the review's)


@action("SetReviewDecision")
def set_review_decision(ctx: Ctx, req: SetReviewDecisionRequest) -> SetReviewDecisionResponse:
    """vodguard extension: a person approves (publishes) or blocks (forbids) a media."""
    if req.Operator == decisions.SAME_CONTENT:
        raise InvalidParameterValue(
            f"Operator {req.Operator!r} is reserved for decisions vodguard takes over from identical bytes",
            code="InvalidParameterValue.Operator",
        )
    if req.Label is not None:
        known.check_entry_fields(label=req.Label)
    with ctx.tx() as s:
        row = decisions.decide(
            s, app_id=ctx.app_id, file_id=req.FileId, decision=req.Decision, reason=req.Reason or "",
            operator=req.Operator or ctx.person, now=ctx.now,
        )  # fmt: skip
        # a block's frames go into the bank (durably: the pending banking commits with the decision), an approve
        # takes them out
        known_banking.record(s, row, label=req.Label, now=ctx.now)
    known_banking.nudge(ctx.services)
    return SetReviewDecisionResponse(DecisionId=row.id)


class DescribeReviewDecisionsRequest(VodRequest):
    FileId: str | None = None
    Offset: int = 0
    Limit: int = 20


@action("DescribeReviewDecisions")
def describe_review_decisions(
    ctx: Ctx, req: DescribeReviewDecisionsRequest
) -> DescribeReviewDecisionsResponse:
    """vodguard extension: the audit log of people's decisions, newest first."""
    if not 1 <= req.Limit <= 100:
        raise InvalidParameterValue("Limit must be between 1 and 100", code="InvalidParameterValue.Limit")
    with ctx.tx() as s:
        rows = decisions.history(
            s, app_id=ctx.app_id, file_id=req.FileId, offset=max(req.Offset, 0), limit=req.Limit
        )
        items = [shapes.review_decision(r) for r in rows]
    return DescribeReviewDecisionsResponse(DecisionSet=items)
