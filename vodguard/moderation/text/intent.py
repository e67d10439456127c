"""Meaning-level text labels: logistic heads on sentence embeddings (``encoder.py``).

A head is one logistic regression per label over the centred, re-normalised 512-d USE vector, trained by
``scripts/train_text_intent.py`` on ``datasets/text`` and shipped as ``data/intent.npz`` (float arrays and
strings only, so loading needs neither pickle nor scikit-learn). Every head is one matrix product on a vector
the encoder computed once, so more labels, and an app's own labels (``CustomHead``), cost almost nothing.

The heads report probabilities; what a probability means for a suggestion is the policy's business
(``presets.INTENT_THRESHOLDS`` and ``TextModerator``).

The file also holds a pool of clean sentences' vectors from the training split (ordinary text and near-misses
that share topic words with violations), which an app's custom label trains against so that twenty examples
about, say, payments do not turn every mention of money into that label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from vodguard.moderation.errors import ModelUnavailable

__all__ = ["CustomHead", "IntentHeads", "default_intent_path", "fit_custom_head"]

MIN_CUSTOM_EXAMPLES = 20


def default_intent_path() -> Path:
    """Where the shipped heads live inside the package."""
    return Path(str(resources.files("vodguard.moderation.text") / "data" / "intent.npz"))


def _prepare(vectors: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Centre on the training mean and re-normalise: USE vectors share a large common direction."""
    centred = np.atleast_2d(vectors).astype(np.float32) - mean
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    return centred / np.maximum(norms, 1e-6)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40.0, 40.0)))


class IntentHeads:
    """Per-label probabilities for embedded texts."""

    def __init__(self, path: Path | None = None) -> None:
        path = path or default_intent_path()
        if not path.exists():
            raise ModelUnavailable(
                f"{path} is missing; run scripts/train_text_intent.py or reinstall vodguard"
            )
        try:
            with np.load(path, allow_pickle=False) as data:
                self.labels: tuple[str, ...] = tuple(str(x) for x in data["labels"].tolist())
                self._coef = data["coef"].astype(np.float32)
                self._intercept = data["intercept"].astype(np.float32)
                self.mean = data["mean"].astype(np.float32)
                self.clean_pool = data["clean_pool"].astype(np.float32)
                self.version = str(data["version"])
        except Exception as exc:
            raise ModelUnavailable(
                f"{path} is not a readable intent model ({exc}); reinstall vodguard"
            ) from exc
        if self._coef.shape != (len(self.labels), self.mean.shape[0]):
            raise ModelUnavailable(f"{path} is not a readable intent model (weights of the wrong shape)")

    def __call__(self, vectors: np.ndarray) -> np.ndarray:
        """(N, labels) probabilities for (N, 512) vectors; a zero vector (empty text) scores 0 everywhere."""
        x = _prepare(vectors, self.mean)
        probs = _sigmoid(x @ self._coef.T + self._intercept)
        probs[~np.any(np.atleast_2d(vectors), axis=1)] = 0.0
        return probs


@dataclass(frozen=True)
class CustomHead:
    """An app's own label, learned from its examples: ``label`` (one of the wire's labels) and a sub-label name."""

    label: str
    sub_label: str
    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    threshold: float

    def __call__(self, vectors: np.ndarray) -> np.ndarray:
        """(N,) probabilities."""
        x = _prepare(vectors, self.mean)
        probs = _sigmoid(x @ self.coef + self.intercept)
        probs[~np.any(np.atleast_2d(vectors), axis=1)] = 0.0
        return probs


def fit_custom_head(
    label: str,
    sub_label: str,
    examples: np.ndarray,
    heads: IntentHeads,
    *,
    negatives: np.ndarray | None = None,
    threshold: float = 0.5,
) -> CustomHead:
    """A head for ``examples`` (their vectors) against the built-in clean pool plus any ``negatives``.

    Balanced class weights: twenty examples against a pool of hundreds would otherwise never reach 0.5.
    Strong regularisation (C=1 on unit vectors), because twenty examples describe a topic loosely.
    """
    from sklearn.linear_model import LogisticRegression

    if len(examples) < MIN_CUSTOM_EXAMPLES:
        raise ValueError(f"a custom label needs at least {MIN_CUSTOM_EXAMPLES} examples, got {len(examples)}")
    pool = (
        heads.clean_pool
        if negatives is None or not len(negatives)
        else np.vstack([heads.clean_pool, negatives])
    )
    x = _prepare(np.vstack([examples, pool]), heads.mean)
    y = np.concatenate([np.ones(len(examples)), np.zeros(len(pool))])
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
    model.fit(x, y)
    return CustomHead(
        label=label,
        sub_label=sub_label,
        coef=model.coef_[0].astype(np.float32),
        intercept=float(model.intercept_[0]),
        mean=heads.mean,
        threshold=threshold,
    )


def top_label(labels: Sequence[str], probs: np.ndarray) -> tuple[str, float]:
    """The most probable label and its probability."""
    i = int(np.argmax(probs))
    return labels[i], float(probs[i])
