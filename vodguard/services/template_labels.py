"""What a review template's labels may be: the wire's labels, and the app's own text labels (custom labels) with
their sub-labels and examples. Each refusal names the field, as the API's request or the console's form holds it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from vodguard.errors import N_, InvalidParameterValue, Words
from vodguard.moderation.text.intent import MIN_CUSTOM_EXAMPLES
from vodguard.moderation.types import CustomLabel

LABELS = ("Porn", "Terror", "Polity", "Ad", "Illegal", "Abuse", "Moan")
MAX_CUSTOM_LABELS = 10
MIN_EXAMPLES, MAX_EXAMPLES = MIN_CUSTOM_EXAMPLES, 500
MAX_EXAMPLE_CHARS = 500
_SUB_LABEL = re.compile(r"[\w-]{1,32}")  # letters (any script), digits, _ and -


# How a custom label's fields are named in messages: ``where(index, field)`` with field "Label", "SubLabel",
# "Examples" or "Examples[j]", and index None for the whole list. The API speaks of CustomLabels[0].Examples; the
# console names what a person sees on the form.
FieldNamer = Callable[[int | None, str], str]


def api_field(index: int | None, name: str) -> str:
    """``CustomLabels[0].Examples``: the field as the API request holds it."""
    return "CustomLabels" if index is None else f"CustomLabels[{index}].{name}"


def validate_custom_labels(
    raw: list[dict[str, Any]], labels: list[str], *, where: FieldNamer = api_field
) -> list[CustomLabel]:
    """Custom labels from ``[{"Label", "SubLabel", "Examples"}]``, checked against the template's ``labels``.

    Each label must be one of the template's labels, its sub-label 1 to 32 letters, digits, _ or - and unique
    under its label, and its examples 20 to 500 texts of 1 to 500 characters (whitespace is collapsed to single
    spaces and repeats are dropped). Raises ``InvalidParameterValue.CustomLabels`` naming the field (``where``
    says how).
    """

    def bad(message: str, **params: object) -> InvalidParameterValue:
        return InvalidParameterValue(message, params=params, code="InvalidParameterValue.CustomLabels")

    if len(raw) > MAX_CUSTOM_LABELS:
        raise bad(
            N_("%(where)s has %(count)d items; a template takes at most %(limit)d"),
            where=where(None, ""), count=len(raw), limit=MAX_CUSTOM_LABELS,
        )  # fmt: skip
    out: list[CustomLabel] = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(raw):
        label, sub_label = item.get("Label") or "", item.get("SubLabel") or ""
        if label not in LABELS:
            raise bad(
                N_("%(where)s %(label)r is not a label; allowed: %(labels)s"),
                where=where(i, "Label"), label=label, labels=Words(*LABELS, context="label"),
            )  # fmt: skip
        if label not in labels:
            raise bad(
                N_("%(where)s %(label)s is not one of the template's Labels (%(labels)s)"),
                where=where(i, "Label"), label=Words(label, context="label"), labels=Words(*labels, context="label"),
            )  # fmt: skip
        if not _SUB_LABEL.fullmatch(sub_label):
            raise bad(
                N_("%(where)s %(sub_label)r must be 1 to 32 letters, digits, _ or -"),
                where=where(i, "SubLabel"), sub_label=sub_label,
            )  # fmt: skip
        if (label, sub_label) in seen:
            raise bad(
                N_("%(where)s %(sub_label)r is used twice under %(label)s"),
                where=where(i, "SubLabel"), sub_label=sub_label, label=Words(label, context="label"),
            )  # fmt: skip
        seen.add((label, sub_label))
        # whitespace collapsed as text moderation reads text (a caption's line break is a space to it)
        examples = [" ".join(str(example).split()) for example in item.get("Examples") or []]
        for j, example in enumerate(examples):
            if not example:
                raise bad(N_("%(where)s is empty"), where=where(i, f"Examples[{j}]"))
            if len(example) > MAX_EXAMPLE_CHARS:
                raise bad(
                    N_("%(where)s is longer than %(limit)d characters"),
                    where=where(i, f"Examples[{j}]"), limit=MAX_EXAMPLE_CHARS,
                )  # fmt: skip
        distinct = tuple(dict.fromkeys(examples))
        if not MIN_EXAMPLES <= len(distinct) <= MAX_EXAMPLES:
            raise bad(
                N_("%(where)s must hold %(least)d to %(most)d different examples (got %(count)d)"),
                where=where(i, "Examples"), least=MIN_EXAMPLES, most=MAX_EXAMPLES, count=len(distinct),
            )  # fmt: skip
        out.append(CustomLabel(label, sub_label, distinct))
    return out


def validate_labels(labels: list[str] | None, *, field_name: str = N_("Labels")) -> list[str]:
    """``labels`` without repeats; ``field_name`` (marked with ``N_``) is how the messages name the field."""
    field = Words(field_name)
    if not labels:
        raise InvalidParameterValue(
            N_("%(field)s must name at least one label"), params={"field": field},
            code="InvalidParameterValue.Labels",
        )  # fmt: skip
    unknown = [label for label in labels if label not in LABELS]
    if unknown:
        raise InvalidParameterValue(
            N_("%(field)s has unknown labels %(unknown)s; allowed: %(labels)s"),
            params={"field": field, "unknown": unknown, "labels": Words(*LABELS, context="label")},
            code="InvalidParameterValue.Labels",
        )
    return list(dict.fromkeys(labels))
