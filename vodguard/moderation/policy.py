"""The template's policy: which findings count, what each one suggests, and the verdict over segments.

Pure functions on plain data; the detectors report confidences, and only this module turns them into
review/block. A template's own thresholds win over ``presets.DEFAULT_THRESHOLDS``.
"""

from __future__ import annotations

from collections.abc import Sequence

from vodguard.moderation.presets import DEFAULT_THRESHOLDS, FORM_CEILINGS, SUB_LABEL_CEILINGS
from vodguard.moderation.types import SUGGESTION_RANK, Finding, Segment, Template, Thresholds

_FALLBACK = Thresholds(review=50.0, block=90.0)


def thresholds_for(template: Template, label: str) -> Thresholds:
    """The thresholds that apply to ``label`` under ``template``."""
    return template.thresholds.get(label) or DEFAULT_THRESHOLDS.get(label, _FALLBACK)


def suggest(finding: Finding, template: Template) -> str | None:
    """``block``, ``review``, or ``None`` (label not in the template, or confidence below review)."""
    suggestion = suggestion_for(finding.label, finding.confidence, template, finding.form)
    ceiling = SUB_LABEL_CEILINGS.get((finding.label, finding.sub_label), "block")
    if suggestion is not None and SUGGESTION_RANK[suggestion] > SUGGESTION_RANK[ceiling]:
        return ceiling
    return suggestion


def suggestion_for(label: str, confidence: float, template: Template, form: str = "") -> str | None:
    """What a confidence for ``label`` (found in ``form``, if any) suggests under ``template``: ``block``,
    ``review`` or ``None``; text that is not yet a finding (``vodguard text``, ``eval text``) is judged here too."""
    if label not in template.labels:
        return None
    limits = thresholds_for(template, label)
    if confidence >= limits.block:
        suggestion = "block"
    elif confidence >= limits.review:
        suggestion = "review"
    else:
        return None
    ceiling = FORM_CEILINGS.get(form)
    if ceiling is not None and SUGGESTION_RANK[suggestion] > SUGGESTION_RANK[ceiling]:
        suggestion = ceiling
    return suggestion


def strength(segment: Segment) -> tuple[int, float]:
    """Sort key of how strong a segment is: its suggestion first, then its confidence."""
    return SUGGESTION_RANK[segment.suggestion], segment.confidence


def verdict(segments: Sequence[Segment]) -> tuple[str, str, str]:
    """(Suggestion, Label, Form): the worst suggestion, and the label and form of the strongest segment."""
    if not segments:
        return "pass", "", ""
    strongest = max(segments, key=strength)
    return strongest.suggestion, strongest.label, strongest.form
