"""Findings to segments: keep what the template asks for, then merge runs of one kind of hit into one segment.

Two findings join the same segment when they share form, label and sub-label and the later one starts no more
than the form's gap after the earlier run ends. The gap is about 1.5 sampling intervals, so one frame missed
by the detector between two hits does not split a scene, while two scenes a few intervals apart stay two
segments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from vodguard.moderation.policy import fuse, strength, suggest
from vodguard.moderation.types import SUGGESTION_RANK, Finding, Segment, Template

GAP_FACTOR = 1.5
MAX_TEXT_CHARS = 1000  # a merged segment's text; the whole transcript is not evidence


@dataclass
class MergedSegment:
    """A segment plus the finding that gave its peak confidence (its frame is the segment's thumbnail)."""

    segment: Segment
    peak: Finding
    count: int = 1


def gaps_for(frame_interval: float, ocr_interval: float, *, factor: float = GAP_FACTOR) -> dict[str, float]:
    """Per-form merge gaps for the engine's sampling intervals."""
    return {
        "Image": factor * frame_interval,
        "OCR": factor * ocr_interval,
        # Transcript and sound findings carry their own time ranges; a short pause between them is one scene.
        "ASR": factor * frame_interval,
        "Voice": factor * frame_interval,
    }


def _start(finding: Finding) -> Segment:
    return Segment(
        form=finding.form,
        label=finding.label,
        sub_label=finding.sub_label,
        suggestion="review",
        confidence=finding.confidence,
        start=finding.start,
        end=max(finding.end, finding.start),
        box=finding.box,
        text=finding.text,
        keywords=tuple(dict.fromkeys(finding.keywords)),
        signals=finding.signals,
        rule=finding.rule,
    )


def _join_text(current: str, extra: str) -> str:
    if not extra or extra in current:
        return current
    joined = f"{current} {extra}" if current else extra
    return joined[:MAX_TEXT_CHARS]


def _absorb(merged: MergedSegment, finding: Finding, suggestion: str) -> None:
    seg = merged.segment
    seg.end = max(seg.end, finding.end, finding.start)
    seg.keywords = tuple(dict.fromkeys((*seg.keywords, *finding.keywords)))
    seg.text = _join_text(seg.text, finding.text)
    if SUGGESTION_RANK[suggestion] > SUGGESTION_RANK[seg.suggestion]:
        seg.suggestion = suggestion
    if finding.confidence > seg.confidence:
        seg.confidence = finding.confidence
        seg.box = finding.box
        seg.signals, seg.rule = finding.signals, finding.rule
        merged.peak = finding
    merged.count += 1


def merge_findings(
    findings: Iterable[Finding], template: Template, *, gaps: Mapping[str, float] | float = 1.5
) -> list[MergedSegment]:
    """Segments from findings under ``template``, sorted by start time (then strongest first); the picture
    models' signals are judged together first (``policy.fuse``)."""
    kept: list[tuple[Finding, str]] = []
    for finding in fuse(findings):
        suggestion = suggest(finding, template)
        if suggestion is not None:
            kept.append((finding, suggestion))
    kept.sort(key=lambda item: (item[0].start, item[0].end))

    open_runs: dict[tuple[str, str, str], MergedSegment] = {}
    done: list[MergedSegment] = []
    for finding, suggestion in kept:
        key = (finding.form, finding.label, finding.sub_label)
        gap = gaps if isinstance(gaps, int | float) else gaps.get(finding.form, GAP_FACTOR)
        run = open_runs.get(key)
        if run is not None and finding.start - run.segment.end <= gap:
            _absorb(run, finding, suggestion)
            continue
        if run is not None:
            done.append(run)
        seg = _start(finding)
        seg.suggestion = suggestion
        open_runs[key] = MergedSegment(segment=seg, peak=finding)
    done.extend(open_runs.values())
    done.sort(key=lambda m: (m.segment.start, tuple(-x for x in strength(m.segment))))
    return done


def to_segments(
    findings: Iterable[Finding], template: Template, *, gaps: Mapping[str, float] | float = 1.5
) -> list[Segment]:
    """Just the segments of ``merge_findings``."""
    return [m.segment for m in merge_findings(findings, template, gaps=gaps)]
