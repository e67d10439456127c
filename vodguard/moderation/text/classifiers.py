"""Statistical abuse scores: English via alt-profanity-check's model (as arrays), Chinese via a char n-gram model
we train and ship.

The Chinese model (``scripts/train_zh_abuse.py``, trained on COLD) is NB-LR: logistic regression on the presence of
character 1–3-grams of the folded text, each scaled by its naive-Bayes log-count ratio. Both factors multiply
into one weight per n-gram, so a text's logit is the intercept plus the weights of the distinct n-grams it holds.
An optional head (a one-hidden-layer network on the text's 512-d USE-multilingual sentence vector, the one
``encoder.SentenceEncoder`` computes) is mixed in when the caller passes that vector; it adds meaning that n-grams
miss. It all ships as ``data/zh_abuse.npz`` (strings and float arrays) and is scored here with numpy alone, so
loading it depends on neither pickle nor the scikit-learn version.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from importlib import resources
from pathlib import Path

import numpy as np

from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.text.normalize import fold, is_cjk

__all__ = ["ChineseAbuseModel", "EnglishAbuseModel", "char_ngrams", "cjk_count"]

_SPACES = re.compile(r"\s\s+")
_ASCII_WORD = re.compile(r"[a-z]{2,}", re.IGNORECASE)
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # the word pattern of the English model's vectorizer
NGRAM_RANGE = (1, 3)


def char_ngrams(text: str) -> list[str]:
    """Character 1–3-grams of the folded text: the analyzer shared by training and scoring."""
    text = _SPACES.sub(" ", fold(text))
    low, high = NGRAM_RANGE
    return [text[i : i + n] for n in range(low, high + 1) for i in range(len(text) - n + 1)]


def cjk_count(text: str) -> int:
    """How many CJK characters ``text`` holds."""
    return sum(1 for c in text if is_cjk(c))


def default_zh_model_path() -> Path:
    """Where the shipped Chinese model lives inside the package."""
    return Path(str(resources.files("vodguard.moderation.text") / "data" / "zh_abuse.npz"))


class ChineseAbuseModel:
    """Probability that a Chinese text is offensive (COLD's notion: insults and attacks on groups).

    ``model(text)`` reads the text's n-grams; ``model(text, embedding=vector)`` also reads its USE-multilingual
    vector (512 floats, the ``encoder.SentenceEncoder`` vector of the whole text) when the shipped file has an
    embedding head, and the n-grams alone otherwise. Either way ``>= threshold`` is the
    same operating point: the file shifts the mixed score so that one threshold serves both.
    """

    def __init__(self, path: Path | None = None) -> None:
        path = path or default_zh_model_path()
        if not path.exists():
            raise ModelUnavailable(f"{path} is missing; run scripts/train_zh_abuse.py or reinstall vodguard")
        with np.load(path, allow_pickle=False) as data:
            if "weight" not in data.files:
                raise ModelUnavailable(f"{path} is an older model format; run scripts/train_zh_abuse.py")
            vocab = data["vocab"]
            self._weight = data["weight"].astype(np.float64)
            self._intercept = float(data["intercept"])
            self.threshold = float(data["threshold"])
            self._head: tuple[np.ndarray, np.ndarray, np.ndarray, float] | None = None
            if "head_w1" in data.files:
                self._head = (
                    data["head_w1"].astype(np.float32),
                    data["head_b1"].astype(np.float32),
                    data["head_w2"].astype(np.float32),
                    float(data["head_b2"]),
                )
                self._mix = float(data["mix"])  # weight of the n-gram logit; the head's is 1 - mix
                self._offset = float(data["mix_offset"])
        self._index = {str(term): i for i, term in enumerate(vocab.tolist())}

    def ngram_logit(self, text: str) -> float:
        """The n-gram part's log-odds."""
        idx = {i for i in map(self._index.get, char_ngrams(text)) if i is not None}
        if not idx:
            return self._intercept
        return float(self._weight[np.fromiter(idx, dtype=np.int64, count=len(idx))].sum()) + self._intercept

    def embedding_logit(self, embedding: np.ndarray) -> float:
        """The embedding head's log-odds for one 512-d sentence vector."""
        if self._head is None:
            raise ValueError("this Chinese abuse model has no embedding head")
        w1, b1, w2, b2 = self._head
        vector = np.asarray(embedding, dtype=np.float32).reshape(-1)
        if vector.shape[0] != w1.shape[0]:
            raise ValueError(f"expected a {w1.shape[0]}-d sentence vector, got {vector.shape[0]}")
        return float(np.maximum(vector @ w1 + b1, 0.0) @ w2) + b2

    def __call__(self, text: str, embedding: np.ndarray | None = None) -> float:
        """Offensive probability in [0, 1]; ``embedding`` (optional) is the text's USE-multilingual vector."""
        score = self.ngram_logit(text)
        if embedding is not None and self._head is not None:
            score = self._mix * score + (1.0 - self._mix) * self.embedding_logit(embedding) + self._offset
        return 1.0 / (1.0 + math.exp(-min(max(score, -40.0), 40.0)))


def unit_tfidf(counts: Counter[int], idf: np.ndarray, *, sublinear: bool) -> tuple[np.ndarray, np.ndarray]:
    """A text's counted terms (vocabulary index -> count) as scikit-learn's ``TfidfVectorizer`` weighs them with its
    l2 norm: their indices, and their TF-IDF weights scaled to unit length (``sublinear``: 1 + log of each count)."""
    idx = np.fromiter(counts, dtype=np.int64, count=len(counts))
    tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    x = (np.log(tf) + 1.0 if sublinear else tf) * idf[idx]
    unit: np.ndarray = x / np.linalg.norm(x)
    return idx, unit


def default_en_model_path() -> Path:
    """Where the shipped English model lives inside the package."""
    return Path(str(resources.files("vodguard.moderation.text") / "data" / "en_profanity.npz"))


class EnglishAbuseModel:
    """Probability that an English text is profane or insulting: alt-profanity-check's (MIT) TF-IDF words and
    sigmoid-calibrated linear SVMs, converted to arrays by ``scripts/convert_profanity_check.py`` and scored with
    numpy, so that loading imports neither scikit-learn nor pickle."""

    # The SVM is generous ("this movie sucks" 0.97, "damn that was good" 0.91): only its surest scores count.
    threshold = 0.97

    def __init__(self, path: Path | None = None) -> None:
        path = path or default_en_model_path()
        if not path.exists():
            raise ModelUnavailable(
                f"{path} is missing; run scripts/convert_profanity_check.py or reinstall vodguard"
            )
        try:
            with np.load(path, allow_pickle=False) as data:
                vocab = data["vocab"].tolist()
                self._idf = data["idf"].astype(np.float64)
                self._coef = data["coef"].astype(np.float64)  # (folds, words)
                self._intercept = data["intercept"].astype(np.float64)
                self._a = data["a"].astype(np.float64)
                self._b = data["b"].astype(np.float64)
        except Exception as exc:
            raise ModelUnavailable(
                f"{path} is not a readable English abuse model ({exc}); reinstall vodguard"
            ) from exc
        if self._coef.shape != (len(self._a), len(vocab)) or self._idf.shape != (len(vocab),):
            raise ModelUnavailable(
                f"{path} is not a readable English abuse model (arrays of the wrong shape)"
            )
        self._index = {str(word): i for i, word in enumerate(vocab)}

    def __call__(self, text: str) -> float:
        """Profanity probability in [0, 1]; 0 for text with no English words."""
        folded = fold(text)  # full-width letters (ｆｕｃｋ) are English words too
        if not _ASCII_WORD.search(folded):
            return 0.0
        counts = Counter(i for i in map(self._index.get, _TOKEN.findall(folded.lower())) if i is not None)
        decision = self._intercept
        if counts:
            idx, x = unit_tfidf(counts, self._idf, sublinear=False)
            decision = self._coef[:, idx] @ x + self._intercept
        return float(np.mean(1.0 / (1.0 + np.exp(self._a * decision + self._b))))
