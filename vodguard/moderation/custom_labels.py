"""Apps' custom text labels: each fitted once into a head and kept in a bounded, thread-safe cache.

A review template may carry custom labels (``types.CustomLabel``): a label, a sub-label and twenty or more example
sentences. ``CustomHeadCache`` turns each into a ``CustomHead`` (text/intent.py ``fit_custom_head``: the examples'
sentence vectors against the built-in pool of clean near-misses), which the text moderator then reads on every OCR
block and speech sentence of a run. Embedding the examples is most of the cost (about 2 ms a sentence) and the fit
itself a tenth of a second, so heads are kept by the label's digest: a template used for a thousand tasks fits once
per process, and a changed example is a new digest, hence a new head.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from vodguard.moderation.types import CustomLabel

if TYPE_CHECKING:
    from vodguard.moderation.text import TextModerator
    from vodguard.moderation.text.intent import CustomHead

__all__ = ["CACHE_SIZE", "CustomHeadCache"]

CACHE_SIZE = 128  # heads are 2 KiB each; the bound is against a flood of edited templates, not memory


class CustomHeadCache:
    """Fitted heads by ``CustomLabel.digest``, least recently used dropped first; safe to share between threads.

    A head is fitted once even when several threads ask for it at the same time (the others wait for it).
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._heads: OrderedDict[str, CustomHead] = OrderedDict()
        self._fitting: dict[str, threading.Lock] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._heads)

    def heads(self, labels: Sequence[CustomLabel], moderator: TextModerator) -> tuple[CustomHead, ...]:
        """A head for each of ``labels``, fitted with ``moderator``'s encoder and clean pool where not cached.

        Raises ``ValueError`` for a label with fewer than ``intent.MIN_CUSTOM_EXAMPLES`` examples.
        """
        return tuple(self.head(label, moderator) for label in labels)

    def head(self, custom: CustomLabel, moderator: TextModerator) -> CustomHead:
        """The head of one custom label, from the cache or fitted now."""
        key = custom.digest
        with self._lock:
            head = self._cached(key)
            if head is not None:
                return head
            fitting = self._fitting.setdefault(key, threading.Lock())
        with fitting:  # one fit per digest; other digests fit in parallel
            with self._lock:
                head = self._cached(key)
            if head is not None:
                return head
            from vodguard.moderation.text.intent import fit_custom_head

            try:
                vectors = moderator.encoder.encode(list(custom.examples))
                head = fit_custom_head(custom.label, custom.sub_label, vectors, moderator.heads)
            except BaseException:
                with self._lock:
                    self._fitting.pop(key, None)
                raise
            with self._lock:  # in one step, so that a thread arriving now finds the head, not an empty slot
                self._heads[key] = head
                self._fitting.pop(key, None)
                while len(self._heads) > self._size:
                    self._heads.popitem(last=False)
        return head

    def _cached(self, key: str) -> CustomHead | None:
        head = self._heads.get(key)
        if head is not None:
            self._heads.move_to_end(key)
        return head
