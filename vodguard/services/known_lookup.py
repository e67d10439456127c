"""The bank's lookup in SQL: multi-index hashing over the four 16-bit chunks of each 64-bit frame hash.

Two 64-bit hashes within ``r`` bits of each other agree within ``r // 4`` bits on at least one of their four
16-bit chunks (pigeonhole). So a lookup enumerates, for each chunk of each query hash, every 16-bit value within
``r // 4`` bits (1, 17, 137 or 697 values for 0 to 3 bits), asks the indexed chunk columns for rows holding one
of them (``cN IN (...)``, one query per column), and keeps the rows whose whole hash is within ``r`` bits. No
query reads the table from end to end; a bank of a million frames answers from a few index ranges.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from itertools import combinations

import numpy as np
from sqlalchemy import bindparam, exists, select, text

from vodguard.moderation.known import Candidate
from vodguard.store.db import Database
from vodguard.store.models import KnownFrame

MASK64 = (1 << 64) - 1
CHUNKS = 4
CHUNK_BITS = 16
IN_BATCH = 900  # values per IN list: well under SQLite's and psycopg's parameter limits


def to_signed(value: int) -> int:
    """A 64-bit hash as the signed integer a BIGINT column holds."""
    value &= MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned(value: int) -> int:
    return value & MASK64


def chunks(value: int) -> tuple[int, int, int, int]:
    """The four 16-bit chunks of a 64-bit hash, lowest bits first."""
    value &= MASK64
    return (value & 0xFFFF, (value >> 16) & 0xFFFF, (value >> 32) & 0xFFFF, (value >> 48) & 0xFFFF)


@cache
def _flip_masks(bits: int) -> tuple[int, ...]:
    """Every 16-bit mask with at most ``bits`` bits set."""
    masks = [0]
    for n in range(1, bits + 1):
        for chosen in combinations(range(CHUNK_BITS), n):
            masks.append(sum(1 << b for b in chosen))
    return tuple(masks)


def neighbours(chunk: int, bits: int) -> list[int]:
    """Every 16-bit value within ``bits`` bits of ``chunk``."""
    return [chunk ^ mask for mask in _flip_masks(bits)]


def _batched(values: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# Plain SQL with an expanding IN list: the lookup fetches thousands of (id, hash) rows from a large bank, and
# SQLAlchemy's ORM row handling would cost more than the database's index reads.
_BY_CHUNK = {
    column: text(f"SELECT id, hash FROM known_frames WHERE app_id = :app AND {column} IN :values").bindparams(
        bindparam("values", expanding=True)
    )
    for column in ("c0", "c1", "c2", "c3")
}
_FRAMES = text("SELECT id, entry_id, time FROM known_frames WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)


class SqlKnownLookup:
    """``KnownLookup`` over one app's bank in the database (SQLite or PostgreSQL)."""

    def __init__(self, db: Database, app_id: int) -> None:
        self.db = db
        self.app_id = app_id

    def lookup(self, hashes: Sequence[int], radius: int) -> list[Candidate]:
        """Bank frames within ``radius`` bits of any of ``hashes``: one candidate per (frame, query hash) pair."""
        queries = list(dict.fromkeys(to_unsigned(h) for h in hashes))
        if not queries or radius < 0:
            return []
        bits = min(radius // CHUNKS, CHUNK_BITS)
        fetched: list[tuple[int, int]] = []  # (frame id, signed hash), a frame once per chunk that found it
        near: list[tuple[int, int, int]] = []  # (frame id, query, distance)
        with self.db.engine.connect() as conn:
            for position, column in enumerate(("c0", "c1", "c2", "c3")):
                wanted = sorted({n for q in queries for n in neighbours(chunks(q)[position], bits)})
                for part in _batched(wanted, IN_BATCH):
                    result = conn.execute(_BY_CHUNK[column], {"app": self.app_id, "values": list(part)})
                    fetched.extend((frame_id, value) for frame_id, value in result.all())
            if not fetched:
                return []
            # the whole distance of every fetched frame to every query, vectorised
            table = np.array(fetched, dtype=np.int64)
            ids, first = np.unique(table[:, 0], return_index=True)
            values = table[first, 1].view(np.uint64)
            for query in queries:
                distances = np.bitwise_count(values ^ np.uint64(query))
                for i in np.flatnonzero(distances <= radius).tolist():
                    near.append((int(ids[i]), query, int(distances[i])))
            if not near:
                return []
            where: dict[int, tuple[str, float]] = {}
            for part in _batched(sorted({frame_id for frame_id, _, _ in near}), IN_BATCH):
                for frame_id, entry_id, time in conn.execute(_FRAMES, {"ids": list(part)}):
                    where[frame_id] = (entry_id, float(time))
        return [
            Candidate(
                entry_id=where[frame_id][0], time=where[frame_id][1], distance=distance, query_hash=query
            )
            for frame_id, query, distance in near
            if frame_id in where
        ]


def bank_is_empty(db: Database, app_id: int) -> bool:
    """Whether the app has no frame hash at all: then reviews skip hashing (an empty bank costs nothing)."""
    with db.engine.connect() as conn:
        return not conn.execute(select(exists().where(KnownFrame.app_id == app_id))).scalar()
