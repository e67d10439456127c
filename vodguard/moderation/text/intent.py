"""Meaning-level text labels: logistic heads on sentence embeddings (``encoder.py``).

A head is one logistic regression per label, trained by ``scripts/train_text_intent.py`` on ``datasets/text``
and shipped in ``data/intent.npz`` (float arrays and strings only, so loading needs neither pickle nor
scikit-learn). There are two sets:

* ``use``: on the centred, re-normalised 512-d USE vector. Cheap (2 ms a sentence); it screens every text, and
  is the whole answer where E5 cannot run.
* ``full``: on USE and E5 side by side (896-d). On the dev split it caught about a fifth more violations than
  USE alone at the same rate of clean text flagged (docs/quality.md), at 25 ms a sentence, so it runs only on
  texts the USE heads already find suspicious (``presets.INTENT_SCREEN``); on dev that screen lost nothing.

Every head is one matrix product on vectors computed once, so more labels, and an app's own labels
(``CustomHead``, on USE alone), cost almost nothing.

The heads report probabilities; what a probability means for a suggestion is the policy's business
(``presets.INTENT_THRESHOLDS`` and ``TextModerator``).

The file also holds a pool of clean sentences' vectors from the training split (ordinary text and near-misses
that share topic words with violations), which an app's custom label trains against so that twenty examples
about, say, payments do not turn every mention of money into that label.
"""

from __future__ import annotations

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


def prepare(vectors: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Centre on the training mean and re-normalise: USE vectors share a large common direction."""
    centred = np.atleast_2d(vectors).astype(np.float32) - mean
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    prepared: np.ndarray = centred / np.maximum(norms, 1e-6)
    return prepared


def _sigmoid(x: np.ndarray) -> np.ndarray:
    probabilities: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(x, -40.0, 40.0)))
    return probabilities


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
                self.mean = data["mean"].astype(np.float32)  # of USE vectors
                self._use_coef = data["use_coef"].astype(np.float32)
                self._use_intercept = data["use_intercept"].astype(np.float32)
                self.e5_mean = data["e5_mean"].astype(np.float32)
                self._full_coef = data["full_coef"].astype(np.float32)
                self._full_intercept = data["full_intercept"].astype(np.float32)
                self.clean_pool = data["clean_pool"].astype(np.float32)
                self.version = str(data["version"])
        except Exception as exc:
            raise ModelUnavailable(
                f"{path} is not a readable intent model ({exc}); reinstall vodguard"
            ) from exc
        labels, use_width = len(self.labels), self.mean.shape[0]
        full_width = use_width + self.e5_mean.shape[0]
        if self._use_coef.shape != (labels, use_width) or self._full_coef.shape != (labels, full_width):
            raise ModelUnavailable(f"{path} is not a readable intent model (weights of the wrong shape)")

    def use(self, vectors: np.ndarray) -> np.ndarray:
        """(N, labels) probabilities from (N, 512) USE vectors; a zero vector (empty text) scores 0."""
        probs = _sigmoid(prepare(vectors, self.mean) @ self._use_coef.T + self._use_intercept)
        probs[~np.any(np.atleast_2d(vectors), axis=1)] = 0.0
        return probs

    def full(self, use_vectors: np.ndarray, e5_vectors: np.ndarray) -> np.ndarray:
        """(N, labels) probabilities from the USE and E5 vectors of the same N texts."""
        x = np.hstack([prepare(use_vectors, self.mean), prepare(e5_vectors, self.e5_mean)])
        probs = _sigmoid(x @ self._full_coef.T + self._full_intercept)
        probs[~np.any(np.atleast_2d(use_vectors), axis=1)] = 0.0
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
        x = prepare(vectors, self.mean)
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
    x = prepare(np.vstack([examples, pool]), heads.mean)
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
