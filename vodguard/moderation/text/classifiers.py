"""Statistical abuse scores: English via alt-profanity-check, Chinese via a char n-gram model we train and ship.

The Chinese model is a TF-IDF (character 1–3-grams, sublinear tf, l2 norm) + logistic regression trained by
``scripts/train_zh_abuse.py`` on COLD. It ships as ``data/zh_abuse.npz`` (vocabulary, idf, weights, threshold) and is
scored here with numpy alone, so loading it depends on neither pickle nor the scikit-learn version.
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
    """Probability that a Chinese text is offensive (COLD's notion: insults and attacks on groups)."""

    def __init__(self, path: Path | None = None) -> None:
        path = path or default_zh_model_path()
        if not path.exists():
            raise ModelUnavailable(f"{path} is missing; run scripts/train_zh_abuse.py or reinstall vodguard")
        with np.load(path, allow_pickle=False) as data:
            vocab = data["vocab"]
            self._idf = data["idf"].astype(np.float64)
            self._coef = data["coef"].astype(np.float64)
            self._intercept = float(data["intercept"])
            self.threshold = float(data["threshold"])
        self._index = {str(term): i for i, term in enumerate(vocab.tolist())}

    def __call__(self, text: str) -> float:
        """Offensive probability in [0, 1]."""
        counts = Counter(i for i in map(self._index.get, char_ngrams(text)) if i is not None)
        if not counts:
            return 1.0 / (1.0 + math.exp(-self._intercept))
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        weights = tf * self._idf[idx]
        score = float(weights @ self._coef[idx]) / float(np.linalg.norm(weights)) + self._intercept
        return 1.0 / (1.0 + math.exp(-score))


class EnglishAbuseModel:
    """Probability that an English text is profane or insulting (alt-profanity-check's linear SVM)."""

    # The SVM is generous ("this movie sucks" 0.97, "damn that was good" 0.91): only its surest scores count.
    threshold = 0.97

    def __init__(self) -> None:
        try:
            from profanity_check import predict_prob
        except ImportError as exc:  # pragma: no cover - it is a pinned dependency
            raise ModelUnavailable(
                "English abuse scoring needs alt-profanity-check: pip install alt-profanity-check"
            ) from exc
        self._predict_prob = predict_prob

    def __call__(self, text: str) -> float:
        """Profanity probability in [0, 1]; 0 for text with no English words."""
        folded = fold(text)  # full-width letters (ｆｕｃｋ) are English words too
        if not _ASCII_WORD.search(folded):
            return 0.0
        return float(self._predict_prob([folded])[0])
