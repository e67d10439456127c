"""``vodguard serve``: the API server, with the embedded background work (event delivery, workers)."""

from __future__ import annotations

import argparse
import os

import uvicorn

from vodguard import logs
from vodguard.commands.common import add_data_dir, settings_from, share_metrics
from vodguard.services import firstrun
from vodguard.services.container import open_services
from vodguard.timeutil import utcnow


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("serve", help="run the API server")
    parser.add_argument(
        "--host", default=None, help="interface to listen on (env VODGUARD_HOST, default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=None, help="port (env VODGUARD_PORT, default 8080)")
    parser.add_argument("--workers", type=int, default=None, help="embedded moderation workers (0: none)")
    parser.add_argument("--no-workers", action="store_true", help="run no moderation workers in this process")
    add_data_dir(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    logs.configure(os.environ.get("VODGUARD_LOG_FORMAT", "text"))
    workers = 0 if args.no_workers else args.workers
    settings = settings_from(args, host=args.host, port=args.port, workers=workers)
    share_metrics(settings.data_dir)
    services = open_services(settings)
    with services.db.transaction() as s:
        start = firstrun.prepare_start(s, now=utcnow())
    first = start.first_key
    from vodguard.api.app import create_app  # after share_metrics, as these import the metrics
    from vodguard.background import Background

    app = create_app(services)
    background = Background(services)
    if first is not None:
        print("First start: created an app and its key pair. Keep the SecretKey now; it is not shown again.")
        print(
            f"  SubAppId  {first.sub_app_id}\n  SecretId  {first.secret_id}\n  SecretKey {first.secret_key}"
        )
    for made in start.created:
        print(f"app {start.app_id}: created {made}")
    print(f"vodguard listening on {settings.base_url()}  (data in {settings.data_dir})")
    print(f"console: {settings.base_url()}/console", flush=True)
    background.start()
    try:
        # proxy_headers off: the app reads X-Forwarded-For itself, from VODGUARD_TRUSTED_PROXIES only
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", proxy_headers=False)
    finally:
        background.stop()
        services.close()
    return 0
