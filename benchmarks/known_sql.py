"""The known-content bank in SQL (``services/known_lookup.py``): a million frame hashes in one app's bank, and the
time of a lookup by multi-index hashing over the chunk indexes, in SQLite and, when
``VODGUARD_BENCH_DATABASE_URL`` names an empty PostgreSQL database, in PostgreSQL too.

Times are CPU times, so other jobs on a shared machine do not inflate them. SQLite runs inside this process, so its
figures are the process's CPU time (``time.process_time``). PostgreSQL's add the CPU time of the server processes
that served the lookups (``/proc/PID/schedstat``, the server being on this machine) to the process's.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy import insert, text

from benchmarks.figures import Figure, percentile
from vodguard.moderation.known import RADIUS
from vodguard.services.known_lookup import LAYOUT, SqlKnownLookup, chunk_radii, chunks, to_signed
from vodguard.store.db import Database, migrate
from vodguard.store.models import App, KnownEntry, KnownFrame
from vodguard.timeutil import utcnow

FRAMES = 1_000_000
FRAMES_PER_ENTRY = 100  # a 50-second blocked clip at 1 fps, each frame whole and its centre
LOOKUPS = 1_000
APP = 1_500_000_001


def _fill(db: Database, hashes: np.ndarray) -> float:
    now = utcnow()
    start = time.process_time()
    with db.transaction() as s:
        s.add(App(id=APP, name="bench", created_at=now))
        s.flush()
        entries = [
            {"id": f"e{n}", "app_id": APP, "label": "Porn", "sub_label": "", "reason": "", "file_id": "",
             "source_name": "", "kind": "video", "origin": "import", "created_by": "", "created_at": now}
            for n in range(FRAMES // FRAMES_PER_ENTRY)
        ]  # fmt: skip
        s.execute(insert(KnownEntry), entries)
        rows = []
        for i, value in enumerate(hashes.tolist()):
            k0, k1, k2 = chunks(value)
            rows.append({"entry_id": f"e{i // FRAMES_PER_ENTRY}", "app_id": APP, "time": float(i % 50),
                         "hash": to_signed(value), "k0": k0, "k1": k1, "k2": k2})  # fmt: skip
            if len(rows) == 50_000:
                s.execute(insert(KnownFrame), rows)
                rows = []
        if rows:
            s.execute(insert(KnownFrame), rows)
    if db.url.startswith("postgresql"):
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE known_frames"))  # what autovacuum does soon after a bulk load
    return time.process_time() - start


def _near(rng: np.random.Generator, hashes: np.ndarray, n: int) -> list[int]:
    """Banked hashes with 0..RADIUS bits flipped (half of the lookups), and random ones."""
    out = []
    for i in range(n):
        if i % 2:
            out.append(int(rng.integers(0, 1 << 63, dtype=np.uint64)) * 2 + int(rng.integers(0, 2)))
            continue
        value = int(hashes[int(rng.integers(0, len(hashes)))])
        for bit in rng.choice(64, size=int(rng.integers(0, RADIUS + 1)), replace=False):
            value ^= 1 << int(bit)
        out.append(value)
    return out


def _server_clock(db: Database) -> Callable[[], float]:
    """Seconds of CPU the database's server processes have used so far: 0 for SQLite, which runs in this process."""
    if not db.url.startswith("postgresql"):
        return lambda: 0.0
    with db.engine.connect() as conn:
        pids = [int(p) for p in conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars()]  # fmt: skip

    def clock() -> float:
        total = 0
        for pid in pids:
            try:
                total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
        return total / 1e9

    return clock


def _measure(
    db: Database, rng: np.random.Generator, hashes: np.ndarray
) -> tuple[float, list[float], list[float]]:
    build = _fill(db, hashes)
    lookup = SqlKnownLookup(db, APP)
    lookup.lookup(
        _near(rng, hashes, 4), RADIUS
    )  # opens the pooled connection whose server process is measured
    server = _server_clock(db)

    def timed(queries: list[int]) -> float:
        before_server = server()
        start = time.process_time()
        lookup.lookup(queries, RADIUS)
        own = time.process_time() - start
        return (own + server() - before_server) * 1000

    single = [timed([query]) for query in _near(rng, hashes, LOOKUPS)]
    queries = _near(rng, hashes, 16 * 100)
    batches = [timed(queries[i : i + 16]) for i in range(0, len(queries), 16)]
    return build, single, batches


def _figures(key: str, name: str, build: float, single: list[float], batches: list[float]) -> list[Figure]:
    return [
        Figure(f"known.{key}.fill", f"Known content in {name}: insert {FRAMES:,} hashes", build, "s", better="lower"),
        Figure(f"known.{key}.lookup.p50", f"Known content in {name}: one hash, radius {RADIUS}, p50",
               percentile(single, 50), "ms", better="lower"),
        Figure(f"known.{key}.lookup.p95", f"Known content in {name}: one hash, radius {RADIUS}, p95",
               percentile(single, 95), "ms", better="lower"),
        Figure(f"known.{key}.batch.p50", f"Known content in {name}: a batch of 8 frames (16 hashes), p50",
               percentile(batches, 50), "ms", better="lower"),
    ]  # fmt: skip


def sql(notes: list[str]) -> list[Figure]:
    rng = np.random.default_rng(16)
    hashes = rng.integers(0, 1 << 63, FRAMES, dtype=np.uint64) * np.uint64(2) + rng.integers(
        0, 2, FRAMES, dtype=np.uint64
    )
    widths = " + ".join(str(width) for _, width in LAYOUT)
    radii = "/".join(str(r) for r in chunk_radii(RADIUS))
    how = (
        f"{FRAMES:,} uniformly random hashes in one app's bank, radius {RADIUS}: each lookup asks the chunk "
        f"indexes ({widths} bits) for values within {radii} bits, then checks the whole distance."
    )
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bank.db'}"
        migrate(url)
        db = Database(url)
        try:
            figures = _figures("sql", "SQLite", *_measure(db, rng, hashes))
        finally:
            db.dispose()
    notes.append(f"Known content in SQL: {how} SQLite (WAL): CPU time of the process, SQLite included.")
    postgres = os.environ.get("VODGUARD_BENCH_DATABASE_URL", "")
    if not postgres:
        notes.append("Known content in PostgreSQL: skipped, VODGUARD_BENCH_DATABASE_URL is not set.")
        return figures
    migrate(postgres)
    db = Database(postgres)
    try:
        version = db.engine.connect().execute(text("SHOW server_version")).scalar()
        figures += _figures("pg", "PostgreSQL", *_measure(db, np.random.default_rng(16), hashes))
    finally:
        db.dispose()
    notes.append(
        f"Known content in PostgreSQL: the same bank in PostgreSQL {version} on this machine: CPU time of the "
        "process plus the server process that answered (the fill's figure is the process's alone)."
    )
    return figures


if __name__ == "__main__":
    found: list[str] = []
    for figure in sql(found):
        print(f"{figure.title}: {figure.value:.3f} {figure.unit}")
    print(*found, sep="\n")
