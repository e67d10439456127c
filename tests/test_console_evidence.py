"""The evidence page's "Models" column: which picture models agreed on a segment, and what came of it, from the
engine's own result kept beside the evidence (the wire's SegmentSet does not carry it).

No picture of porn or gore can be committed, so the real engine is run on the rocket photo that EfficientNet
half calls a missile, under a template strict enough for that lone signal to ask for review.
"""

from __future__ import annotations

from pathlib import Path

from vodguard.api.console.evidence import LANE_BAR, build_evidence
from vodguard.moderation.config import EngineConfig
from vodguard.moderation.engine import Engine
from vodguard.moderation.types import Template, Thresholds
from vodguard.services import console_queries
from vodguard.services.evidence import store_result
from vodguard.services.media import Media
from vodguard.services.tasks import Task
from vodguard.services.urls import UrlSigner
from vodguard.store.blobs.local import LocalBlobStore

ROCKET = Path(__file__).parent / "moderation" / "data" / "rocket.jpg"
STRICT_TERROR = Template(
    definition=100, labels=frozenset({"Terror"}), thresholds={"Terror": Thresholds(30, 90)}
)


def test_the_evidence_names_the_models_behind_a_picture_segment(tmp_path: Path) -> None:
    result = Engine(EngineConfig()).moderate_image(ROCKET, STRICT_TERROR)
    assert result.suggestion == "review"
    blobs = LocalBlobStore(tmp_path / "blobs")
    task = Task(task_id="task-1", app_id=7, file_id="f1")
    store_result(
        blobs,
        UrlSigner("http://localhost", "k"),
        base="evidence/7/task-1",
        result=result,
        timed=False,
        ttl=60,
    )
    segments = console_queries.full_segments(blobs, task)
    reasons = console_queries.segment_reasons(blobs, task)
    assert len(reasons) == len(segments) >= 1
    media = Media(file_id="f1", app_id=7, media_type="jpg", category="Image", blob_key="x", meta={})
    [view] = [v for v in build_evidence(media, task, segments, reasons).segments if v.label == "Terror"]
    assert view.sub_label == "Explosive"
    assert view.why.startswith("EfficientNet Explosive 0.") and view.why.endswith("-> review (object)")
    assert "Signals" not in segments[0] and "signals" not in segments[0]  # the wire's segments are unchanged


def test_without_the_engines_result_the_page_still_shows_the_segments(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    task = Task(task_id="task-2", app_id=7, file_id="f2")
    assert console_queries.segment_reasons(blobs, task) == []
    media = Media(file_id="f2", app_id=7, media_type="png", category="Image", blob_key="x", meta={})
    wire = [{"Form": "OCR", "Label": "Ad", "SubLabel": "", "Suggestion": "review", "Confidence": 80}]
    [view] = build_evidence(media, task, wire, []).segments
    assert view.why == "" and view.label == "Ad"


def test_the_timeline_gives_each_form_and_label_its_own_lane() -> None:
    # a long OCR ad caption over a short spoken threat: on one lane the ad bar would hide the threat
    media = Media(
        file_id="f3", app_id=7, media_type="mp4", category="Video", blob_key="x", meta={"Duration": 20}
    )
    wire = [
        {"Form": "OCR", "Label": "Ad", "Suggestion": "block", "StartTimeOffset": 1, "EndTimeOffset": 9},
        {
            "Form": "ASR",
            "Label": "Terror",
            "Suggestion": "block",
            "StartTimeOffset": 2.6,
            "EndTimeOffset": 3.4,
        },
        {"Form": "OCR", "Label": "Ad", "Suggestion": "review", "StartTimeOffset": 12, "EndTimeOffset": 14},
        {"Form": "ASR", "Label": "Ad", "Suggestion": "review", "StartTimeOffset": 15, "EndTimeOffset": 16},
    ]
    evidence = build_evidence(media, None, wire)
    assert evidence.lanes == [("OCR", "Ad"), ("ASR", "Terror"), ("ASR", "Ad")]
    lanes = {(s.form, s.label, s.start): s.lane for s in evidence.segments}
    assert lanes == {
        ("OCR", "Ad", 1.0): 0,
        ("ASR", "Terror", 2.6): 1,
        ("OCR", "Ad", 12.0): 0,
        ("ASR", "Ad", 15.0): 2,
    }
    ad, threat = evidence.segments[0], evidence.segments[1]
    assert ad.y + LANE_BAR <= threat.y  # the bars do not overlap
    assert evidence.timeline_height >= threat.y + LANE_BAR
