"""``vodguard worker``: moderation workers without the API (for more machines, or more processes on one)."""

from __future__ import annotations

import argparse
import os
import signal
import threading

from vodguard import logs
from vodguard.commands.common import (
    UsageError,
    add_data_dir,
    settings_from,
    share_metrics,
    warm_up_in_background,
)

_EPILOG = """\
examples:
  vodguard worker --concurrency 2 --data-dir ./data        # beside `vodguard serve --no-workers`
  VODGUARD_QUEUE_URL=redis://db:6379/0 VODGUARD_DATABASE_URL=postgresql://... vodguard worker

exit status: 0 stopped (SIGINT or SIGTERM), 4 a bad option or setting.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "worker",
        help="run moderation workers only",
        description="Run moderation workers without the API, on the data (or database and queue) of a server.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--concurrency", type=int, default=1, help="worker threads in this process (default 1)"
    )
    add_data_dir(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.concurrency < 1:
        raise UsageError(f"--concurrency {args.concurrency} must be 1 or more")
    logs.configure(os.environ.get("VODGUARD_LOG_FORMAT", "text"))
    settings = settings_from(args)
    share_metrics(settings.data_dir)
    from vodguard.background import Background  # after share_metrics: it imports the metrics
    from vodguard.services.container import open_services  # lazily: see cli.py

    services = open_services(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    background = Background(services, workers=max(args.concurrency, 1), api=False)
    background.start()
    warm_up_in_background(services)  # the first task need not wait for the models; no later one loads them
    print(f"vodguard worker: {background.workers} thread(s) on {services.settings.data_dir}", flush=True)
    stop.wait()
    background.stop()
    services.close()
    return 0
