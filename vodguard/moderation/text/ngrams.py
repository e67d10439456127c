"""Character n-grams: the spelling of a text as a signal beside the tuned towers (``intent_model.py``).

A sentence encoder reads what a text means, or nothing where it has not learnt the words; a code word, pinyin, a
homophone or price-list shorthand is to it a rare token. Character n-grams see such spellings as strings. One
logistic regression per label on TF-IDF over character n-grams of 1 to 4 within word bounds (scikit-learn's
``char_wb``, lower-cased), trained by ``scripts/train_text_ngrams.py`` on the training families of
``datasets/text``. Alone it ranks worse than the towers; mixed with them it raised dev's average precision for
every label (docs/quality.md 2s).

``data/intent_ngrams.npz`` holds the vocabulary, the inverse document frequencies, the weights (one column per
label) and ``weight``, the share the n-grams get in the mixture (chosen on dev). Training fits scikit-learn's
vectorizer (``vectorizer``); scoring redoes its analyzer and TF-IDF with numpy (``char_wb_ngrams``), as
``classifiers.EnglishAbuseModel`` does, so that loading the text models does not import scikit-learn (about a
second) and a scikit-learn upgrade cannot change what the shipped file answers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.text.classifiers import unit_tfidf

__all__ = ["NGRAM_RANGE", "CharNgrams", "char_wb_ngrams", "default_ngrams_path", "mix", "vectorizer"]

NGRAM_RANGE = (1, 4)


def default_ngrams_path() -> Path:
    return Path(__file__).resolve().parent / "data" / "intent_ngrams.npz"


def char_wb_ngrams(text: str) -> list[str]:
    """scikit-learn's ``char_wb`` analyzer on lower-cased text: the n-grams of each word padded with a space on
    both sides; a word shorter than an n gives itself once instead."""
    low, high = NGRAM_RANGE
    grams: list[str] = []
    for word in text.lower().split():
        padded = f" {word} "
        for n in range(low, high + 1):
            if len(padded) <= n:
                grams.append(padded)
                break
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


def vectorizer(vocabulary: Sequence[str] | None = None, *, min_df: int = 2) -> Any:
    """The TF-IDF setting the model is trained with (``char_wb_ngrams`` redoes it at run time); ``vocabulary``
    fixes the columns, as the tests that compare the two need."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=NGRAM_RANGE,
        lowercase=True,
        sublinear_tf=True,
        min_df=1 if vocabulary is not None else min_df,
        vocabulary=None if vocabulary is None else {gram: i for i, gram in enumerate(vocabulary)},
        dtype=np.float32,
    )


def mix(towers: np.ndarray, ngrams: np.ndarray, weight: float) -> np.ndarray:
    """The tuned model's answer: the towers' probabilities and the n-grams' mixed at the n-grams' share ``weight``;
    one place for the run time (``intent_model.py``) and the training that chooses ``weight``."""
    mixed: np.ndarray = (1.0 - weight) * towers + weight * ngrams
    return mixed


class CharNgrams:
    """Per-label probabilities of texts from their character n-grams, with numpy alone; thread-safe."""

    def __init__(self, path: Path | None = None) -> None:
        path = path or default_ngrams_path()
        try:
            with np.load(path, allow_pickle=False) as data:
                vocabulary = data["vocabulary"].tolist()
                self._idf = data["idf"].astype(np.float64)
                self._coef = data["coef"].astype(np.float64)  # (features, labels)
                self._intercept = data["intercept"].astype(np.float64)
                self.labels = tuple(str(label) for label in data["labels"])
                self.weight = float(data["weight"])
        except (OSError, KeyError, ValueError) as exc:
            raise ModelUnavailable(
                f"the character n-gram model {path} cannot be read ({exc}); reinstall vodguard"
            ) from exc
        if (
            self._coef.shape != (len(vocabulary), len(self.labels))
            or self._idf.shape != (len(vocabulary),)
            or self._intercept.shape != (len(self.labels),)
            or not 0.0 <= self.weight <= 1.0
        ):
            raise ModelUnavailable(f"the character n-gram model {path} is inconsistent; reinstall vodguard")
        self._index = {str(gram): i for i, gram in enumerate(vocabulary)}

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), labels) float32 probabilities."""
        logits = np.tile(self._intercept, (len(texts), 1))
        for row, text in enumerate(texts):
            counts = Counter(i for i in map(self._index.get, char_wb_ngrams(text)) if i is not None)
            if not counts:
                continue
            idx, x = unit_tfidf(counts, self._idf, sublinear=True)  # as the vectorizer was trained
            logits[row] += x @ self._coef[idx]
        out: np.ndarray = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        return out
