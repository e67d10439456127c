"""Per-app request rate limits: a sliding one-second window kept in memory (one API process)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable


class RateLimiter:
    """``allow(key, limit)`` is true when fewer than ``limit`` calls with ``key`` happened in the last second."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
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


class RedisRateLimiter:
    """The same limit shared by every API server: a counter per key and second in Redis."""

    def __init__(self, url: str, prefix: str = "vodguard") -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix

    def allow(self, key: str, limit: int) -> bool:
        if limit <= 0:
            return True
        bucket = f"{self._prefix}:rate:{key}:{int(time.time())}"
        pipe = self._redis.pipeline()
        pipe.incr(bucket)
        pipe.expire(bucket, 2)
        count, _ = pipe.execute()
        return int(count) <= limit


def open_rate_limiter(queue_url: str, prefix: str) -> RateLimiter | RedisRateLimiter:
    """Redis when the deployment has one (many API servers share limits), else this process's memory."""
    if queue_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisRateLimiter(queue_url, prefix)
    return RateLimiter()
