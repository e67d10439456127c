"""Measured quality: labelled manifests, the scorer, the report, a corpus builder and COLD text scoring.

The scorer (``scoring``) is pure: it compares expected and predicted segments and knows nothing of the engine.
``runner`` feeds a manifest's files to an ``Engine``; ``corpus`` makes a labelled corpus from fonts, espeak-ng
speech and sox noise; ``cold`` scores the text moderation on the COLD data set. ``vodguard eval`` ties them up.
"""

from __future__ import annotations

from vodguard.evaluation.manifest import Entry, ManifestError, Span, read_manifest, write_manifest
from vodguard.evaluation.scoring import ClassScore, Prediction, Scores, range_iou, score

__all__ = [
    "ClassScore",
    "Entry",
    "ManifestError",
    "Prediction",
    "Scores",
    "Span",
    "range_iou",
    "read_manifest",
    "score",
    "write_manifest",
]
