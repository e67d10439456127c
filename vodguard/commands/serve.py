"""``vodguard serve``: the API server, with the embedded background work (event delivery, workers).

The port is bound before anything is announced or created, so a clash is one line and exit status 4, not a
banner (and a first key pair never seen again) followed by a crash.
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from vodguard import logs
from vodguard.commands.common import (
    UsageError,
    add_data_dir,
    settings_from,
    share_metrics,
    warm_up_in_background,
)
from vodguard.config import Settings
from vodguard.timeutil import utcnow

if TYPE_CHECKING:
    from vodguard.services import firstrun

_EPILOG = """\
examples:
  vodguard serve                                      # 127.0.0.1:8080, state in ./data
  vodguard serve --host 0.0.0.0 --port 9000 --data-dir /srv/vodguard
  vodguard serve --no-workers                         # API only; run `vodguard worker` elsewhere

The first start makes an app, its key pair (printed once), and the procedure `review`. Each start prints the
next steps with its real address. exit status: 0 stopped, 4 a bad option or setting, or the port is in use.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "serve",
        help="run the API server",
        description="Run the API 3.0 server, the upload endpoints, the console and the moderation workers.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host", default=None, help="interface to listen on (env VODGUARD_HOST, default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=None, help="port (env VODGUARD_PORT, default 8080)")
    parser.add_argument("--workers", type=int, default=None, help="embedded moderation workers (0: none)")
    parser.add_argument("--no-workers", action="store_true", help="run no moderation workers in this process")
    add_data_dir(parser)
    parser.set_defaults(func=run)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; ``UsageError`` in one line when the port is taken or not allowed."""
    if not 0 < port < 65536:
        raise UsageError(f"--port {port} is not a port number (1-65535)")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise UsageError(f"--host {host!r} cannot be resolved ({exc.strerror})") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: restart despite TIME_WAIT
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(
                f"port {port} on {host} is in use by another program; choose another with --port or VODGUARD_PORT"
            ) from None
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


def run(args: argparse.Namespace) -> int:
    logs.configure(os.environ.get("VODGUARD_LOG_FORMAT", "text"))
    workers = 0 if args.no_workers else args.workers
    settings = settings_from(args, host=args.host, port=args.port, workers=workers)
    sock = bind(settings.host, settings.port)  # before anything is made or printed
    share_metrics(settings.data_dir)
    # here, not at the top: every command's module is imported to build the parser, and these take a second
    import uvicorn

    from vodguard.services import firstrun
    from vodguard.services.container import open_services

    services = open_services(settings)
    start = firstrun.start(services.db, now=utcnow())
    from vodguard.api.app import create_app  # after share_metrics, as these import the metrics
    from vodguard.background import Background

    app = create_app(services)
    background = Background(services)
    print(banner(settings, start, command=_own_command()), flush=True)
    background.start()
    if background.workers:
        warm_up_in_background(services)
    try:
        # proxy_headers off: the app reads X-Forwarded-For itself, from VODGUARD_TRUSTED_PROXIES only
        config = uvicorn.Config(
            app, host=settings.host, port=settings.port, log_level="warning", proxy_headers=False
        )
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        background.stop()
        services.close()
        sock.close()
    return 0


def banner(settings: Settings, start: firstrun.StartState, *, command: str) -> str:
    """What a start prints once the port is bound: the first key pair (first start only), what was made, where
    it listens, how to get a key, and the next steps with the real address."""
    url = settings.base_url()
    lines = []
    pair = start.first_key
    if pair is not None:
        lines += [
            "First start: created an app and its key pair. Keep the SecretKey now; it is not shown again.",
            f"  SubAppId  {pair.sub_app_id}\n  SecretId  {pair.secret_id}\n  SecretKey {pair.secret_key}",
        ]
    lines += [f"app {start.app_id}: created {made}" for made in start.created]
    data_flag = "" if settings.data_dir == Path("data").resolve() else f" --data-dir {settings.data_dir}"
    lines += [
        f"vodguard listening on {url}  (data in {settings.data_dir})",
        f"console: {url}/console",
    ]
    if pair is None:
        lines.append(
            f"keys: use a key pair of app {start.app_id}; to make one: {command} keys create --app {start.app_id}"
            f"{data_flag}"
        )
    credentials = f"{pair.secret_id}:{pair.secret_key}" if pair is not None else "SECRET_ID:SECRET_KEY"
    lines += [
        "next steps:",
        f"  curl -u {credentials} -F file=@clip.mp4 -F procedure=review {url}/upload",
        f"  {command} task show TASKID --wait{data_flag}     # TASKID: the upload's ReviewAudioVideoTaskId",
    ]
    if not settings.workers:
        lines.append(
            "  (no workers in this process: run `vodguard worker` on the same data for tasks to finish)"
        )
    return "\n".join(lines)


def _own_command() -> str:
    """How the user can call vodguard again: ``.venv/bin/vodguard`` after ``make run``, else ``vodguard``."""
    script = Path(os.path.abspath(sys.argv[0]))  # not resolve(): .venv/bin may be a link, and stays as typed
    if script.name == "vodguard" and script.is_file():
        try:
            return str(script.relative_to(Path.cwd()))
        except ValueError:
            return "vodguard"
    return "vodguard"
