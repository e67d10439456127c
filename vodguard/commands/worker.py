"""``vodguard worker``: moderation workers without the API (for more machines, or more processes on one)."""

from __future__ import annotations

import argparse
import os
import signal
import threading

from vodguard import logs
from vodguard.commands.common import add_data_dir, settings_from, share_metrics
from vodguard.services.container import open_services


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("worker", help="run moderation workers only")
    parser.add_argument(
        "--concurrency", type=int, default=1, help="worker threads in this process (default 1)"
    )
    add_data_dir(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    logs.configure(os.environ.get("VODGUARD_LOG_FORMAT", "text"))
    settings = settings_from(args)
    share_metrics(settings.data_dir)
    from vodguard.background import Background  # after share_metrics: it imports the metrics

    services = open_services(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    background = Background(services, workers=max(args.concurrency, 1), api=False)
    background.start()
    print(f"vodguard worker: {background.workers} thread(s) on {services.settings.data_dir}", flush=True)
    stop.wait()
    background.stop()
    services.close()
    return 0
