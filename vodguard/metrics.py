"""Prometheus metrics (``prometheus_client``): counters and histograms of API requests and finished tasks.

A process keeps its values in memory, unless ``PROMETHEUS_MULTIPROC_DIR`` is set when ``prometheus_client`` is first
imported: then every process writes them to files in that folder (the library's multiprocess mode), and
``exposition()`` sums the files of every process. ``vodguard serve`` and ``vodguard worker`` set it to
``<data dir>/metrics`` (``commands/common.py``), so ``/metrics`` on an API server also counts the tasks of the
``vodguard worker`` processes on its data directory. Gauges that describe shared state (queue depth, pending events)
are read from the database for each scrape and passed to ``exposition()``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

# The series vodguard has always exposed, and no `_created` ones (which multiprocess mode does not have either).
disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated

# Read as prometheus_client reads it, once: a process records in memory or in files for its whole life.
SHARED_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # what generate_latest writes

REGISTRY = CollectorRegistry()

REQUESTS = Counter(
    "vodguard_api_requests_total",
    "API 3.0 requests by action and answer code",
    ["action", "code"],
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "vodguard_api_request_seconds",
    "API 3.0 request latency",
    ["action"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
TASKS = Counter(
    "vodguard_tasks_finished_total",
    "moderation tasks finished, by ErrCodeExt (empty: success)",
    ["err_code_ext"],
    registry=REGISTRY,
)
TASK_SECONDS = Histogram(
    "vodguard_task_seconds",
    "time from claim to finish",
    buckets=(1, 2, 5, 10, 30, 60, 120, 300, 600, 1800),
    registry=REGISTRY,
)
REALTIME = Histogram(
    "vodguard_task_realtime_factor",
    "media seconds moderated per second of work",
    buckets=(0.5, 1, 2, 5, 10, 20, 50, 100),
    registry=REGISTRY,
)
RESULTS = Counter(
    "vodguard_review_results_total",
    "review results by suggestion and label",
    ["suggestion", "label"],
    registry=REGISTRY,
)
REUSED = Counter(
    "vodguard_review_reused_total",
    "tasks answered with the result of an earlier task on identical content",
    registry=REGISTRY,
)


def exposition(gauges: Iterable[tuple[str, str, float]] = ()) -> bytes:
    """The text exposition (format 0.0.4) of every metric, then of ``gauges`` given as (name, help, value)."""
    return generate_latest(_Scrape(gauges))


class _Scrape(Collector):
    """What one scrape shows: the recorded metrics (summed over the processes in multiprocess mode), then gauges."""

    def __init__(self, gauges: Iterable[tuple[str, str, float]]) -> None:
        self.gauges = list(gauges)

    def collect(self) -> Iterator[Metric]:
        source: Collector = REGISTRY
        if SHARED_DIR:
            # the ignore: prometheus_client leaves MultiProcessCollector.__init__ unannotated
            source = MultiProcessCollector(None, SHARED_DIR)  # type: ignore[no-untyped-call]
        yield from source.collect()
        for name, help_, value in self.gauges:
            yield GaugeMetricFamily(name, help_, value=value)
