"""Meaning-level text labels: logistic heads on USE sentence vectors (``encoder.py``), and how they are blended
with the tuned E5 model (``intent_model.py``).

A head is one logistic regression per label, trained by ``scripts/train_text_intent.py`` on ``datasets/text``
and shipped in ``data/intent.npz`` (float arrays and strings only, so loading needs neither pickle nor
scikit-learn), on the centred, re-normalised 512-d USE vector. It is cheap (2 ms a sentence), so it reads every
text; it screens what the tuned model reads (``presets.INTENT_SCREEN``), and it is the whole answer where that
model cannot run. Where both run, the probability is ``blend`` x tuned + (1 - ``blend``) x heads: on dev, the
average was better than either alone for every label (the two err on different sentences), and ``blend`` was
chosen there.

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
    """Per-label probabilities for USE vectors, and the weight of the tuned model where it runs."""

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
                self._coef = data["use_coef"].astype(np.float32)
                self._intercept = data["use_intercept"].astype(np.float32)
                self.blend = float(data["blend"])
                self.clean_pool = data["clean_pool"].astype(np.float32)
                self.version = str(data["version"])
        except Exception as exc:
            raise ModelUnavailable(
                f"{path} is not a readable intent model ({exc}); reinstall vodguard"
            ) from exc
        if self._coef.shape != (len(self.labels), self.mean.shape[0]) or not 0.0 <= self.blend <= 1.0:
            raise ModelUnavailable(f"{path} is not a readable intent model (weights of the wrong shape)")

    def use(self, vectors: np.ndarray) -> np.ndarray:
        """(N, labels) probabilities from (N, 512) USE vectors; a zero vector (empty text) scores 0."""
        probs = _sigmoid(prepare(vectors, self.mean) @ self._coef.T + self._intercept)
        probs[~np.any(np.atleast_2d(vectors), axis=1)] = 0.0
        return probs

    def blended(self, use_probs: np.ndarray, tuned_probs: np.ndarray) -> np.ndarray:
        """The probabilities where the tuned model also read the texts (same rows, same label order)."""
        mixed: np.ndarray = self.blend * tuned_probs + (1.0 - self.blend) * use_probs
        return mixed


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
