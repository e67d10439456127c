"""The engine's vocabulary: frames and audio in, findings out, results as plain data (spec §3.3–3.6 says what
they mean).

Everything here is plain data. Detectors take ``Frame``/``AudioTrack`` and return ``Finding``; the policy turns
findings into ``Segment``; ``ModerationResult`` carries the segments plus the evidence files the caller stores.
The API's PascalCase shapes of these, and signed URLs of the evidence, are the server's job, not the engine's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from vodguard.moderation.known import KnownMatch

LABELS = ("Porn", "Terror", "Polity", "Ad", "Illegal", "Abuse", "Moan")
FORMS = ("Image", "OCR", "ASR", "Voice")
SUGGESTION_RANK = {"pass": 0, "review": 1, "block": 2}

Box = tuple[int, int, int, int]  # x1, y1, x2, y2 in a frame's pixels


@dataclass(frozen=True)
class Frame:
    """One decoded picture: RGB ``uint8`` array of shape (H, W, 3), its time in seconds and its index in the sample;
    ``thumb`` is the sampler's 32x32 float RGB thumbnail of it, when the sampler made one (known-content hashes)."""

    image: np.ndarray
    time: float
    index: int = 0
    thumb: np.ndarray | None = None

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


@dataclass(frozen=True)
class AudioTrack:
    """The whole audio of a file as 16 kHz mono ``float32`` in [-1, 1]."""

    samples: np.ndarray
    sample_rate: int = 16000

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass(frozen=True)
class TextHit:
    """What text moderation found in one piece of text."""

    label: str
    sub_label: str
    confidence: float  # 0..100
    keywords: tuple[str, ...] = ()


# What OCR and ASR call to moderate the text they read: one piece of text in, its hits out.
ModerateText = Callable[[str], list[TextHit]]


@dataclass(frozen=True)
class Signal:
    """One picture model's opinion: which model, which of its classes (NudeNet's ``FEMALE_BREAST_EXPOSED``,
    nsfwjs's ``Porn``...) and its probability 0..1."""

    model: str
    name: str
    score: float

    def __str__(self) -> str:
        return f"{self.model} {self.name} {self.score:.2f}"


@dataclass(frozen=True)
class Finding:
    """One detector hit before the policy: a label at a time (or a time range) with a confidence 0..100.

    A picture model's Porn or Terror hit carries its ``signals`` and no ``rule``: one model's opinion, which
    ``policy.fuse`` judges together with the other models' opinions on the same frame. What ``fuse`` returns
    names the ``rule`` of the table that decided it and the ``signals`` that agreed.
    """

    form: str  # Image / OCR / ASR / Voice
    label: str
    sub_label: str
    confidence: float
    start: float = 0.0
    end: float = 0.0
    box: Box | None = None
    text: str = ""
    keywords: tuple[str, ...] = ()
    frame_index: int | None = None  # which sampled frame, for the thumbnail
    signals: tuple[Signal, ...] = ()
    rule: str = ""


@dataclass(frozen=True)
class Thresholds:
    """Confidence at or above ``review`` gives review, at or above ``block`` gives block."""

    review: float
    block: float


@dataclass(frozen=True)
class CustomLabel:
    """An app's own text label: hits report as ``label`` with ``sub_label``, learned from ``examples`` (20 or more
    sentences of what to catch; text/intent.py ``fit_custom_head`` says how)."""

    label: str
    sub_label: str
    examples: tuple[str, ...]

    @property
    def digest(self) -> str:
        """SHA-256 of the label, sub-label and examples: equal digests learn equal heads."""
        raw = json.dumps([self.label, self.sub_label, list(self.examples)], ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class Template:
    """A review template as the engine sees it: which labels to report and how strict to be per label, plus the
    app's custom text labels (each under one of ``labels``)."""

    definition: int
    labels: frozenset[str]
    thresholds: dict[str, Thresholds] = field(default_factory=dict)
    early_exit: bool = False  # stop at the first confident block
    custom_labels: tuple[CustomLabel, ...] = ()
    budget: str = "balanced"  # fast / balanced / thorough: how densely a video is sampled (plan.BUDGETS)


@dataclass
class Segment:
    """A reported segment (spec §3.4 / §3.6). ``thumbnail`` is the evidence file name, filled by the engine."""

    form: str
    label: str
    sub_label: str
    suggestion: str  # review / block
    confidence: float
    start: float = 0.0
    end: float = 0.0
    box: Box | None = None
    text: str = ""
    keywords: tuple[str, ...] = ()
    thumbnail: str = ""
    # the peak finding's models and the rule that judged them (policy.RULES); not on the wire
    signals: tuple[Signal, ...] = ()
    rule: str = ""

    @property
    def why(self) -> str:
        """Which models agreed and what came of it, e.g. ``NudeNet FEMALE_BREAST_EXPOSED 0.81 + nsfwjs Porn 0.77
        -> block (part+opinion)``; "" for a segment no picture model made."""
        if not self.signals:
            return ""
        return f"{' + '.join(str(s) for s in self.signals)} -> {self.suggestion} ({self.rule})"


@dataclass
class EvidenceFile:
    """A file the caller should store next to the result (segment thumbnails)."""

    name: str
    data: bytes
    content_type: str = "image/jpeg"


@dataclass
class StageTiming:
    name: str
    seconds: float
    items: int = 0


@dataclass
class ModerationResult:
    """What ``moderate_media``/``moderate_image`` return: the verdict, every segment, and the evidence files."""

    suggestion: str
    label: str
    form: str
    segments: list[Segment]
    evidence: list[EvidenceFile] = field(default_factory=list)
    duration: float = 0.0
    timings: list[StageTiming] = field(default_factory=list)
    # the bank entry this file copies (known content, ``known.py``); it makes the suggestion block
    known_match: KnownMatch | None = None
