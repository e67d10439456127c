"""The known-content bank in SQL (``services/known_lookup.py``): a million frame hashes in a SQLite database, and
the time of a lookup by multi-index hashing over the chunk indexes.

Times are CPU times of this process (``time.process_time``): SQLite runs inside it, so this is the whole cost of
a lookup on SQLite, and other jobs on a shared machine do not inflate it. PostgreSQL is not measured here.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from benchmarks.figures import Figure, percentile
from vodguard.moderation.known import RADIUS
from vodguard.services.known_lookup import SqlKnownLookup, chunks, to_signed
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
            c0, c1, c2, c3 = chunks(value)
            rows.append({"entry_id": f"e{i // FRAMES_PER_ENTRY}", "app_id": APP, "time": float(i % 50),
                         "hash": to_signed(value), "c0": c0, "c1": c1, "c2": c2, "c3": c3})  # fmt: skip
            if len(rows) == 50_000:
                s.execute(insert(KnownFrame), rows)
                rows = []
        if rows:
            s.execute(insert(KnownFrame), rows)
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


def sql(notes: list[str]) -> list[Figure]:
    rng = np.random.default_rng(16)
    hashes = rng.integers(0, 1 << 63, FRAMES, dtype=np.uint64) * np.uint64(2) + rng.integers(
        0, 2, FRAMES, dtype=np.uint64
    )
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bank.db'}"
        migrate(url)
        db = Database(url)
        try:
            build = _fill(db, hashes)
            lookup = SqlKnownLookup(db, APP)
            single = []
            for query in _near(rng, hashes, LOOKUPS):
                start = time.process_time()
                lookup.lookup([query], RADIUS)
                single.append((time.process_time() - start) * 1000)
            batches = []
            queries = _near(rng, hashes, 16 * 100)
            for i in range(0, len(queries), 16):
                start = time.process_time()
                lookup.lookup(queries[i : i + 16], RADIUS)
                batches.append((time.process_time() - start) * 1000)
        finally:
            db.dispose()
    notes.append(
        f"Known content in SQL: {FRAMES:,} uniformly random hashes in one app's bank in SQLite (WAL), radius "
        f"{RADIUS}: each lookup asks the four chunk indexes for {RADIUS // 4}-bit neighbours with IN lists, then "
        f"checks the whole distance. CPU time of the process, SQLite included."
    )
    return [
        Figure(
            "known.sql.fill", f"Known content in SQLite: insert {FRAMES:,} hashes", build, "s", better="lower"
        ),
        Figure(
            "known.sql.lookup.p50",
            f"Known content in SQLite: one hash, radius {RADIUS}, p50",
            percentile(single, 50),
            "ms",
            better="lower",
        ),  # fmt: skip
        Figure(
            "known.sql.lookup.p95",
            f"Known content in SQLite: one hash, radius {RADIUS}, p95",
            percentile(single, 95),
            "ms",
            better="lower",
        ),  # fmt: skip
        Figure(
            "known.sql.batch.p50",
            "Known content in SQLite: a batch of 8 frames (16 hashes), p50",
            percentile(batches, 50),
            "ms",
            better="lower",
        ),  # fmt: skip
    ]


if __name__ == "__main__":
    found: list[str] = []
    for figure in sql(found):
        print(f"{figure.title}: {figure.value:.3f} {figure.unit}")
    print(*found, sep="\n")
