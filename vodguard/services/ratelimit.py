"""Per-app request rate limits: a sliding one-second window kept in memory (one API process)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class RateLimiter:
    """``allow(key, limit)`` is true when fewer than ``limit`` calls with ``key`` happened in the last second."""

    def __init__(self, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self._clock = clock
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key: str, limit: int) -> bool:
        if limit <= 0:
            return True
        now = self._clock()
        with self._lock:
            hits = self._hits[key]
            while hits and now - hits[0] >= 1.0:
                hits.popleft()
            if len(hits) >= limit:
                return False
            hits.append(now)
            return True
