"""Review templates (which labels to report, how strict, the app's own text labels, and how thoroughly a video is
sampled) and procedure templates (what runs after upload)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vodguard.errors import (
    N_,
    InvalidParameter,
    InvalidParameterValue,
    LimitExceeded,
    ResourceNotFound,
    Words,
)

# DEFAULT_THRESHOLDS is re-exported: the console shows them, and api/ reaches the engine only through services.
from vodguard.moderation.plan import BUDGETS as BUDGETS
from vodguard.moderation.plan import DEFAULT_BUDGET as DEFAULT_BUDGET
from vodguard.moderation.presets import DEFAULT_THRESHOLDS as DEFAULT_THRESHOLDS
from vodguard.moderation.types import CustomLabel, Template, Thresholds

# The label checks live in template_labels; these names are re-exported, as the API and the console use them here.
from vodguard.services.template_labels import LABELS as LABELS
from vodguard.services.template_labels import FieldNamer as FieldNamer
from vodguard.services.template_labels import api_field as api_field
from vodguard.services.template_labels import validate_custom_labels as validate_custom_labels
from vodguard.services.template_labels import validate_labels as validate_labels
from vodguard.store.models import ProcedureTemplate, ReviewTemplate

PRESET_DEFINITION = 10
PRESET_LABELS = ["Porn", "Terror", "Polity", "Moan"]
FIRST_CUSTOM_DEFINITION = 10001
MAX_TEMPLATES = 50
REVIEW_CONTENTS = ("Media", "Cover")


class LabelThresholds(TypedDict):
    """A label's own scores (0-100) from which a finding asks a person and blocks, as a template stores them."""

    review: float
    block: float


# A template's own thresholds by label, in its ``thresholds`` column; a label not there keeps the preset's.
TemplateThresholds = dict[str, LabelThresholds]


class StoredCustomLabel(TypedDict):
    """One of a template's own text labels (``CustomLabel``), as its ``custom_labels`` column holds it."""

    label: str
    sub_label: str
    examples: list[str]


@dataclass
class ReviewTemplateView:
    """A template as the API shows it; the preset is not a row."""

    definition: int
    type: str
    name: str
    comment: str
    labels: list[str]
    thresholds: TemplateThresholds = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    custom_labels: list[CustomLabel] = field(default_factory=list)
    budget: str = DEFAULT_BUDGET


PRESET = ReviewTemplateView(
    definition=PRESET_DEFINITION,
    type="Preset",
    name="Preset",
    comment="Porn, Terror, Polity and Moan (Moan is not reported for images)",
    labels=list(PRESET_LABELS),
)


def _view(row: ReviewTemplate) -> ReviewTemplateView:
    return ReviewTemplateView(
        row.definition, "Custom", row.name, row.comment, list(row.labels), dict(row.thresholds or {}),
        row.created_at, row.updated_at, _stored_custom_labels(row.custom_labels), row.budget or DEFAULT_BUDGET,
    )  # fmt: skip


def _stored_custom_labels(stored: list[StoredCustomLabel] | None) -> list[CustomLabel]:
    return [CustomLabel(c["label"], c["sub_label"], tuple(c["examples"])) for c in stored or []]


def _storable(custom: list[CustomLabel]) -> list[StoredCustomLabel]:
    return [{"label": c.label, "sub_label": c.sub_label, "examples": list(c.examples)} for c in custom]


def _check_text(value: str | None, name: str, limit: int) -> str:
    """``value`` ("" for None) when it fits in ``limit`` characters; ``name`` is the wire field (``N_``-marked)."""
    value = value or ""
    if len(value) > limit:
        raise InvalidParameterValue(
            N_("%(field)s is longer than %(limit)d characters"), params={"field": Words(name), "limit": limit},
            code=f"InvalidParameterValue.{name}",
        )  # fmt: skip
    return value


# the budgets' names, marked for the console's catalogue: a refusal lists them in the page's language
BUDGET_NAMES = (N_("fast"), N_("balanced"), N_("thorough"))


def check_budget(value: str) -> str:
    """``value`` when it is one of the budgets (``fast``, ``balanced``, ``thorough``)."""
    if value not in BUDGETS:
        raise InvalidParameterValue(
            N_("%(field)s must be one of %(allowed)s, not %(value)r"),
            params={"field": Words(N_("Budget")), "allowed": Words(*BUDGETS), "value": value},
            code="InvalidParameterValue.Budget",
        )
    return value


def create_review_template(
    session: Session,
    *,
    app_id: int,
    labels: list[str] | None,
    name: str | None,
    comment: str | None,
    custom_labels: list[dict[str, Any]] | None = None,
    budget: str | None = None,
    now: datetime,
) -> ReviewTemplateView:
    labels = validate_labels(labels)
    custom = validate_custom_labels(custom_labels or [], labels)
    budget = check_budget(budget) if budget is not None else DEFAULT_BUDGET
    count = session.execute(select(func.count()).where(ReviewTemplate.app_id == app_id)).scalar_one()
    if count >= MAX_TEMPLATES:
        raise LimitExceeded(
            N_("an app may have at most %(limit)d review templates"), params={"limit": MAX_TEMPLATES},
            code="LimitExceeded.TooMuchTemplate",
        )  # fmt: skip
    last = session.scalar(select(func.max(ReviewTemplate.definition)))
    row = ReviewTemplate(
        definition=max(last or 0, FIRST_CUSTOM_DEFINITION - 1) + 1,
        app_id=app_id,
        name=_check_text(name, N_("Name"), 64),
        comment=_check_text(comment, N_("Comment"), 256),
        labels=labels,
        thresholds={},
        custom_labels=_storable(custom),
        budget=budget,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return _view(row)


def _own_row(session: Session, app_id: int, definition: int, *, action: str) -> ReviewTemplate:
    if definition == PRESET_DEFINITION:
        if action == "modified":
            message, code = (
                N_("Definition %(definition)s is a preset template and cannot be modified"),
                "Modify",
            )
        else:
            message, code = (
                N_("Definition %(definition)s is a preset template and cannot be deleted"),
                "Delete",
            )
        raise InvalidParameterValue(
            message, params={"definition": definition}, code=f"InvalidParameterValue.{code}DefaultTemplate"
        )
    row = session.get(ReviewTemplate, definition)
    if row is None or row.app_id != app_id:
        raise ResourceNotFound(
            f"review template Definition {definition} does not exist",
            code="ResourceNotFound.TemplateNotExist",
        )
    return row


def modify_review_template(
    session: Session,
    *,
    app_id: int,
    definition: int,
    labels: list[str] | None,
    name: str | None,
    comment: str | None,
    thresholds: TemplateThresholds | None = None,
    custom_labels: list[dict[str, Any]] | None = None,
    budget: str | None = None,
    where: FieldNamer = api_field,
    now: datetime,
) -> ReviewTemplateView:
    """Change what is given (None leaves a field as it is; ``custom_labels=[]`` removes them all).

    Custom labels are checked against the template's labels as they will be, so dropping a label that a custom
    label stands under is refused until that custom label goes too.
    """
    row = _own_row(session, app_id, definition, action="modified")
    if budget is not None:
        row.budget = check_budget(budget)
    new_labels = validate_labels(labels) if labels is not None else list(row.labels)
    if custom_labels is not None:
        custom = validate_custom_labels(custom_labels, new_labels, where=where)
    else:
        custom = _stored_custom_labels(row.custom_labels)
        for i, kept in enumerate(custom):
            if kept.label not in new_labels:
                raise InvalidParameterValue(
                    N_(
                        "Labels must keep %(label)s: %(where)s (%(sub_label)s) stands under it; "
                        "remove that custom label first or in the same call"
                    ),
                    params={
                        "label": Words(kept.label, context="label"), "where": where(i, "Label"),
                        "sub_label": kept.sub_label,
                    },
                    code="InvalidParameterValue.Labels",
                )  # fmt: skip
    row.labels = new_labels
    row.custom_labels = _storable(custom)
    if name is not None:
        row.name = _check_text(name, N_("Name"), 64)
    if comment is not None:
        row.comment = _check_text(comment, N_("Comment"), 256)
    if thresholds is not None:
        row.thresholds = thresholds
    row.updated_at = now
    return _view(row)


def delete_review_template(session: Session, *, app_id: int, definition: int) -> None:
    row = _own_row(session, app_id, definition, action="deleted")
    used = session.scalar(
        select(ProcedureTemplate.name).where(
            ProcedureTemplate.app_id == app_id, ProcedureTemplate.review_definition == definition
        )
    )
    if used:
        raise InvalidParameterValue(
            N_(
                "review template %(definition)s is used by procedure template %(name)r; delete or change that first"
            ),
            params={"definition": definition, "name": used},
            code="InvalidParameterValue.Definition",
        )
    session.delete(row)


def get_review_template(session: Session, *, app_id: int, definition: int) -> ReviewTemplateView:
    """The template an app may use; raises ``InvalidParameterValue.Definition`` otherwise."""
    if definition == PRESET_DEFINITION:
        return PRESET
    row = session.get(ReviewTemplate, definition)
    if row is None or row.app_id != app_id:
        raise InvalidParameterValue(
            N_("Definition %(definition)s is not a review template of this app"),
            params={"definition": definition},
            code="InvalidParameterValue.Definition",
        )
    return _view(row)


def engine_template(view: ReviewTemplateView) -> Template:
    """The engine's template for a stored one: its labels, with per-label thresholds where the app set them, its
    custom text labels and its budget."""
    thresholds = {}
    for label in view.labels:
        custom = (view.thresholds or {}).get(label)
        base = DEFAULT_THRESHOLDS[label]
        if custom:
            thresholds[label] = Thresholds(
                review=float(custom.get("review", base.review)), block=float(custom.get("block", base.block))
            )
        else:
            thresholds[label] = base
    return Template(
        definition=view.definition,
        labels=frozenset(view.labels),
        thresholds=thresholds,
        custom_labels=tuple(view.custom_labels),
        budget=view.budget,
    )


def describe_review_templates(
    session: Session,
    *,
    app_id: int,
    definitions: list[int] | None,
    type_: str | None,
    offset: int,
    limit: int,
) -> tuple[int, list[ReviewTemplateView]]:
    if type_ not in (None, "", "Preset", "Custom"):
        raise InvalidParameterValue(
            f"Type {type_!r} must be Preset or Custom", code="InvalidParameterValue.Type"
        )
    _check_paging(offset, limit)
    if definitions is not None and len(definitions) > 100:
        raise InvalidParameterValue(
            "Definitions holds more than 100 items", code="InvalidParameterValue.Definitions"
        )
    views: list[ReviewTemplateView] = []
    if type_ in (None, "", "Preset") and (not definitions or PRESET_DEFINITION in definitions):
        views.append(PRESET)
    if type_ in (None, "", "Custom"):
        query = select(ReviewTemplate).where(ReviewTemplate.app_id == app_id)
        if definitions:
            query = query.where(ReviewTemplate.definition.in_(definitions))
        views.extend(_view(r) for r in session.scalars(query.order_by(ReviewTemplate.definition)))
    return len(views), views[offset : offset + limit]


def _check_paging(offset: int, limit: int) -> None:
    if offset < 0:
        raise InvalidParameterValue("Offset must not be negative", code="InvalidParameterValue.Offset")
    if not 1 <= limit <= 100:
        raise InvalidParameterValue("Limit must be between 1 and 100", code="InvalidParameterValue.Limit")


# Procedure templates


def _check_review_task(
    session: Session, app_id: int, definition: int, contents: list[str] | None
) -> list[str]:
    get_review_template(session, app_id=app_id, definition=definition)
    contents = list(dict.fromkeys(contents or ["Media"]))
    bad = [c for c in contents if c not in REVIEW_CONTENTS]
    if bad:
        raise InvalidParameterValue(
            f"ReviewContents has unknown items {bad}; allowed: Media, Cover",
            code="InvalidParameterValue.ReviewContents",
        )
    return contents


def create_procedure_template(
    session: Session,
    *,
    app_id: int,
    name: str,
    comment: str | None,
    review_definition: int | None,
    review_contents: list[str] | None,
    now: datetime,
) -> ProcedureTemplate:
    if not name or len(name) > 20:
        raise InvalidParameterValue(N_("Name must be 1 to 20 characters"), code="InvalidParameterValue.Name")
    if session.scalar(
        select(ProcedureTemplate.id).where(ProcedureTemplate.app_id == app_id, ProcedureTemplate.name == name)
    ):
        raise InvalidParameter(
            N_("procedure template %(name)r already exists"), params={"name": name},
            code="InvalidParameter.ExistedProcedureName",
        )  # fmt: skip
    count = session.execute(select(func.count()).where(ProcedureTemplate.app_id == app_id)).scalar_one()
    if count >= MAX_TEMPLATES:
        raise LimitExceeded(
            N_("an app may have at most %(limit)d procedure templates"), params={"limit": MAX_TEMPLATES},
            code="LimitExceeded.TooMuchTemplate",
        )  # fmt: skip
    contents: list[str] = []
    if review_definition is not None:
        contents = _check_review_task(session, app_id, review_definition, review_contents)
    row = ProcedureTemplate(
        app_id=app_id,
        name=name,
        comment=_check_text(comment, N_("Comment"), 256),
        review_definition=review_definition,
        review_contents=contents,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def get_procedure(session: Session, *, app_id: int, name: str) -> ProcedureTemplate:
    row = session.scalar(
        select(ProcedureTemplate).where(ProcedureTemplate.app_id == app_id, ProcedureTemplate.name == name)
    )
    if row is None:
        raise InvalidParameter(
            N_("procedure template %(name)r does not exist"), params={"name": name},
            code="InvalidParameter.ProcedureNameNotExist",
        )  # fmt: skip
    return row


def delete_procedure_template(session: Session, *, app_id: int, name: str) -> None:
    session.delete(get_procedure(session, app_id=app_id, name=name))


def describe_procedure_templates(
    session: Session, *, app_id: int, names: list[str] | None, type_: str | None, offset: int, limit: int
) -> tuple[int, list[ProcedureTemplate]]:
    _check_paging(offset, limit)
    if type_ == "Preset":
        return 0, []
    query = select(ProcedureTemplate).where(ProcedureTemplate.app_id == app_id)
    if names:
        query = query.where(ProcedureTemplate.name.in_(names))
    rows = list(session.scalars(query.order_by(ProcedureTemplate.created_at, ProcedureTemplate.id)))
    return len(rows), rows[offset : offset + limit]
