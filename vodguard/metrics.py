"""Prometheus metrics: counters and histograms kept in this process, rendered in the text exposition format.

Each API server and worker process exposes its own; Prometheus sums them. Gauges that describe shared state (queue
depth, pending events) are read from the database when ``/metrics`` is scraped.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable

LabelValues = tuple[tuple[str, str], ...]


def _labels(pairs: LabelValues) -> str:
    if not pairs:
        return ""
    escaped = (
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"' for k, v in pairs
    )
    return "{" + ",".join(escaped) + "}"


class Counter:
    def __init__(self, name: str, help_: str) -> None:
        self.name, self.help = name, help_
        self._values: dict[LabelValues, float] = defaultdict(float)
        self._lock = threading.Lock()

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        with self._lock:
            self._values[tuple(sorted(labels.items()))] += amount

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} counter"
        with self._lock:
            for labels, value in sorted(self._values.items()):
                yield f"{self.name}{_labels(labels)} {value:g}"


class Histogram:
    def __init__(self, name: str, help_: str, buckets: Iterable[float]) -> None:
        self.name, self.help = name, help_
        self.buckets = tuple(sorted(buckets))
        self._counts: dict[LabelValues, list[int]] = {}
        self._sums: dict[LabelValues, float] = defaultdict(float)
        self._lock = threading.Lock()

    def observe(self, value: float, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            counts = self._counts.setdefault(key, [0] * (len(self.buckets) + 1))
            for i, bound in enumerate(self.buckets):
                if value <= bound:
                    counts[i] += 1
            counts[-1] += 1
            self._sums[key] += value

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} histogram"
        with self._lock:
            for key, counts in sorted(self._counts.items()):
                for bound, count in zip(self.buckets, counts, strict=False):
                    yield f"{self.name}_bucket{_labels((*key, ('le', f'{bound:g}')))} {count}"
                yield f"{self.name}_bucket{_labels((*key, ('le', '+Inf')))} {counts[-1]}"
                yield f"{self.name}_sum{_labels(key)} {self._sums[key]:g}"
                yield f"{self.name}_count{_labels(key)} {counts[-1]}"


REQUESTS = Counter("vodguard_api_requests_total", "API 3.0 requests by action and answer code")
REQUEST_SECONDS = Histogram(
    "vodguard_api_request_seconds",
    "API 3.0 request latency",
    (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TASKS = Counter("vodguard_tasks_finished_total", "moderation tasks finished, by ErrCodeExt (empty: success)")
TASK_SECONDS = Histogram(
    "vodguard_task_seconds", "time from claim to finish", (1, 2, 5, 10, 30, 60, 120, 300, 600, 1800)
)
REALTIME = Histogram(
    "vodguard_task_realtime_factor",
    "media seconds moderated per second of work",
    (0.5, 1, 2, 5, 10, 20, 50, 100),
)
RESULTS = Counter("vodguard_review_results_total", "review results by suggestion and label")
REUSED = Counter(
    "vodguard_review_reused_total", "tasks answered with the result of an earlier task on identical content"
)
ALL = (REQUESTS, REQUEST_SECONDS, TASKS, TASK_SECONDS, REALTIME, RESULTS, REUSED)


def render(extra: Iterable[str] = ()) -> str:
    lines: list[str] = []
    for metric in ALL:
        lines.extend(metric.render())
    lines.extend(extra)
    return "\n".join(lines) + "\n"
