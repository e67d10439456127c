"""View models for review results: queue rows and the evidence of one media, built from rows and task outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vodguard.services.media import Media
from vodguard.services.tasks import Task

TIMELINE_WIDTH = 1000.0  # SVG user units; the timeline scales to the page
# One lane per form and label, so that a long bar never hides a short one of another kind; SVG units, which
# are CSS pixels vertically (console.css gives the timeline lanes * LANE_HEIGHT + 2 * LANE_PAD px).
LANE_HEIGHT = 24.0
LANE_BAR = 18.0
LANE_PAD = 4.0
MAX_LANES = 8  # console.css has a height for up to this many


@dataclass
class Thumb:
    """One evidence picture; the page writes its caption (form, label, confidence) in its own language."""

    url: str
    form: str = ""  # empty: the picture is the whole image, not a segment's frame
    label: str = ""
    confidence: float | None = None


@dataclass
class QueueRow:
    media: Media
    suggestion: str
    label: str
    form: str
    confidence: float | None
    thumbs: list[Thumb]
    reviewed_at: str


def evidence_url(task: Task, segment: dict[str, Any]) -> str:
    """The console URL of a segment's thumbnail, or "" when it has none."""
    from vodguard.api.console.views import thumb_name

    name = thumb_name(segment.get("Url", ""))
    return f"/console/evidence/{task.task_id}/{name}" if name else ""


def queue_row(media: Media, task: Task | None, *, thumbs: int = 6) -> QueueRow:
    review = media.review or {}
    output = (task.output or {}) if task is not None else {}
    segments = output.get("SegmentSet") or []
    label = output.get("Label") or ", ".join(t.split(".", 1)[-1] for t in review.get("TypeSet", []))
    confidences = [float(s.get("Confidence", 0)) for s in segments if s.get("Label") == output.get("Label")]
    strip = []
    if task is not None:
        for seg in segments:
            url = evidence_url(task, seg)
            if url:
                confidence = seg.get("Confidence")
                strip.append(
                    Thumb(url, str(seg.get("Form", "")), str(seg.get("Label", "")), float(confidence or 0))
                )
            if len(strip) >= thumbs:
                break
    if not strip and media.category == "Image" and review.get("Suggestion") not in (None, "pass"):
        strip.append(Thumb(f"/console/media/{media.file_id}/file"))  # the image is its own evidence
    return QueueRow(
        media=media,
        suggestion=str(review.get("Suggestion", "")),
        label=label,
        form=str(output.get("Form") or ""),
        confidence=max(confidences) if confidences else None,
        thumbs=strip,
        reviewed_at=str(review.get("ReviewTime", "")),
    )


def library_thumb(media: Media, task: Task | None) -> str:
    """One picture for a library row: the cover, else the image itself, else the first evidence frame; "" for
    media with none (audio, or a video never reviewed)."""
    if media.cover_blob_key:
        return f"/console/media/{media.file_id}/cover"
    if media.category == "Image":
        return f"/console/media/{media.file_id}/file"
    for segment in ((task.output or {}).get("SegmentSet") or []) if task is not None else []:
        url = evidence_url(task, segment) if task is not None else ""
        if url:
            return url
    return ""


@dataclass
class SegmentView:
    index: int
    start: float
    end: float
    form: str
    label: str
    suggestion: str
    confidence: float
    text: str
    keywords: list[str]
    box: list[int]
    thumb: str
    sub_label: str = ""
    why: str = (
        ""  # which picture models agreed: "NudeNet FEMALE_BREAST_EXPOSED 0.81 + nsfwjs Porn 0.77 -> block"
    )
    # Position on the timeline, in SVG units.
    x: float = 0.0
    width: float = 0.0
    lane: int = 0

    @property
    def y(self) -> float:
        return LANE_PAD + min(self.lane, MAX_LANES - 1) * LANE_HEIGHT + (LANE_HEIGHT - LANE_BAR) / 2


@dataclass
class Evidence:
    """Everything the evidence page shows about one media's latest result."""

    duration: float
    segments: list[SegmentView] = field(default_factory=list)
    lanes: list[tuple[str, str]] = field(default_factory=list)  # (form, label), in order of first appearance

    @property
    def lane_count(self) -> int:
        """Lanes drawn: one even with no segment (an empty track), at most MAX_LANES (later ones share the last)."""
        return max(1, min(len(self.lanes), MAX_LANES))

    @property
    def timeline_height(self) -> float:
        return self.lane_count * LANE_HEIGHT + 2 * LANE_PAD

    @property
    def texts(self) -> list[SegmentView]:
        """OCR and ASR segments that carry text, in time order."""
        return [s for s in self.segments if s.text and s.form in ("OCR", "ASR")]

    @property
    def thumbs(self) -> list[SegmentView]:
        return [s for s in self.segments if s.thumb]

    @property
    def boxed(self) -> list[SegmentView]:
        return [s for s in self.segments if len(s.box) == 4]


def build_evidence(
    media: Media, task: Task | None, segments: list[dict[str, Any]], reasons: list[str] | None = None
) -> Evidence:
    """The evidence page's model: ``segments`` as the wire has them, ``reasons`` (one per segment, or none) from
    the engine's own result."""
    why = reasons if reasons is not None and len(reasons) == len(segments) else [""] * len(segments)
    meta = media.meta or {}
    duration = float(meta.get("Duration") or 0.0)
    if duration <= 0 and segments:
        duration = max(float(s.get("EndTimeOffset", 0) or 0) for s in segments)
    views = []
    for i, seg in enumerate(segments):
        start = float(seg.get("StartTimeOffset", 0) or 0)
        end = max(float(seg.get("EndTimeOffset", 0) or 0), start)
        view = SegmentView(
            index=i,
            start=start,
            end=end,
            form=str(seg.get("Form", "")),
            label=str(seg.get("Label", "")),
            suggestion=str(seg.get("Suggestion", "")),
            confidence=float(seg.get("Confidence", 0) or 0),
            text=str(seg.get("Text", "") or ""),
            keywords=[str(k) for k in seg.get("KeywordSet") or []],
            box=[int(v) for v in seg.get("AreaCoordSet") or []],
            thumb=evidence_url(task, seg) if task is not None else "",
            sub_label=str(seg.get("SubLabel", "") or ""),
            why=why[i],
        )
        if duration > 0:
            view.x = round(start / duration * TIMELINE_WIDTH, 1)
            # A moment (an image frame) still gets a visible, clickable mark.
            view.width = round(max((end - start) / duration * TIMELINE_WIDTH, 6.0), 1)
        views.append(view)
    views.sort(key=lambda v: (v.start, v.index))
    lanes: list[tuple[str, str]] = []
    for view in views:
        if (view.form, view.label) not in lanes:
            lanes.append((view.form, view.label))
        view.lane = lanes.index((view.form, view.label))
    return Evidence(duration=duration, segments=views, lanes=lanes)
