"""The bank's lookup in SQL: multi-index hashing over three wide chunks (22, 21 and 21 bits) of each 64-bit frame
hash, one indexed column each.

Two hashes within ``r`` bits of each other differ by ``d0 + d1 + d2 <= r`` bits over the three chunks, so for any
per-chunk radii ``r0 + r1 + r2 >= r - 2`` at least one chunk is within its radius (were every ``di > ri``, the sum
would pass ``r``). At the engine's radius of 8 bits that is 2 bits a chunk: 232 to 254 values of a chunk, and a bank
of a million random frames holds each 21-bit value about half a time. A lookup asks each chunk index for rows holding one of those
values and keeps the rows whose whole hash is within ``r`` bits, so it reads a few hundred index entries at a
million frames (four 16-bit chunks read about 8,000) and never the table from end to end.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from itertools import combinations

import numpy as np
from sqlalchemy import bindparam, exists, select, text
from sqlalchemy.engine import Connection

from vodguard.moderation.known import Candidate
from vodguard.store.db import Database
from vodguard.store.models import KnownFrame

MASK64 = (1 << 64) - 1
LAYOUT = ((0, 22), (22, 21), (43, 21))  # (shift, width) of each chunk column, lowest bits first
COLUMNS = ("k0", "k1", "k2")
IN_BATCH = 900  # values per IN list on SQLite: under the 999 parameters of SQLite builds before 3.32


def to_signed(value: int) -> int:
    """A 64-bit hash as the signed integer a BIGINT column holds."""
    value &= MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned(value: int) -> int:
    return value & MASK64


def chunks(value: int) -> tuple[int, int, int]:
    """The three chunks of a 64-bit hash as the chunk columns hold them, lowest bits first."""
    value &= MASK64
    return tuple((value >> shift) & ((1 << width) - 1) for shift, width in LAYOUT)  # type: ignore[return-value]


def chunk_radii(radius: int) -> tuple[int, ...]:
    """How many bits each chunk is searched within for a whole-hash ``radius``: they add up to ``radius - 2`` (a
    negative radius leaves its chunk out: radius 0 looks up the first chunk alone, exactly)."""
    total = radius - len(LAYOUT) + 1
    return tuple(total // len(LAYOUT) + (1 if i < total % len(LAYOUT) else 0) for i in range(len(LAYOUT)))


@cache
def _flip_masks(width: int, bits: int) -> tuple[int, ...]:
    """Every ``width``-bit mask with at most ``bits`` bits set."""
    masks = [0]
    for n in range(1, min(bits, width) + 1):
        for chosen in combinations(range(width), n):
            masks.append(sum(1 << b for b in chosen))
    return tuple(masks)


def neighbours(chunk: int, bits: int, width: int) -> list[int]:
    """Every ``width``-bit value within ``bits`` bits of ``chunk`` (none for a negative ``bits``)."""
    return [chunk ^ mask for mask in _flip_masks(width, bits)] if bits >= 0 else []


def _batched(values: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# The candidate rows come through the driver with plain SQL: a lookup is a few hundred index reads, and SQLAlchemy's
# expanding IN lists would cost more than the database does. SQLite, in its own process, is fastest with one IN
# list per query. PostgreSQL gets one statement: a UNION ALL of one select per chunk and group of at most
# PG_GROUP values, each value list one array. The groups keep every select's estimate small: given a batch's
# thousands of values in one array, the planner reckoned on thousands of rows and scanned the whole table in
# parallel (100-200 ms instead of a few).
PG_GROUP = 256
PG_SELECTS = (
    16  # selects per statement: a long UNION ALL runs out of the server's stack (radius 13, 100 hashes)
)

Row = tuple[int, int, str | None, float | None]  # id, signed hash, and the entry and time where already read


@cache
def _sqlite_select(column: str, count: int) -> str:
    marks = ",".join("?" * count)
    return f"SELECT id, hash FROM known_frames WHERE app_id = ? AND {column} IN ({marks})"


@cache
def _postgres_select(columns: tuple[str, ...]) -> str:
    return " UNION ALL ".join(
        f"SELECT id, hash, entry_id, time FROM known_frames WHERE app_id = %s AND {column} = ANY(%s)"
        for column in columns
    )


_DETAILS = text("SELECT id, entry_id, time FROM known_frames WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)


def _candidates(conn: Connection, app_id: int, wanted: list[list[int]]) -> list[Row]:
    """Every row whose chunk ``i`` is one of ``wanted[i]``; a row once per chunk that found it.

    The two databases differ in what is cheap. SQLite's chunk indexes hold the hash and the rowid, so it answers
    from the index alone, and only the few matches' entries are read afterwards (``_details``): reading every
    candidate's row cost 40 % more. PostgreSQL visits the table for the id anyway, so the entry and time come
    along, which saves a round trip and a statement it cannot prepare (the id list differs every time): 10 % of
    a lookup's CPU. Plain tuples: numpy takes a list of SQLAlchemy rows apart attribute by attribute."""
    if conn.dialect.name == "postgresql":
        groups = [
            (column, list(part))
            for column, values in zip(COLUMNS, wanted, strict=True)
            for part in _batched(values, PG_GROUP)
        ]
        found: list[Row] = []
        for start in range(0, len(groups), PG_SELECTS):
            some = groups[start : start + PG_SELECTS]
            params = tuple(value for _, part in some for value in (app_id, part))
            statement = _postgres_select(tuple(column for column, _ in some))
            found += [(i, h, e, t) for i, h, e, t in conn.exec_driver_sql(statement, params)]
        return found
    rows: list[Row] = []
    for column, values in zip(COLUMNS, wanted, strict=True):
        for part in _batched(values, IN_BATCH):
            statement = _sqlite_select(column, len(part))
            rows += [(i, h, None, None) for i, h in conn.exec_driver_sql(statement, (app_id, *part))]
    return rows


def _details(conn: Connection, rows: list[Row], frame_ids: set[int]) -> dict[int, tuple[str, float]]:
    """Entry and time of each frame in ``frame_ids``, from the rows where they came along, else from the table."""
    known = {i: (e, float(t)) for i, _, e, t in rows if i in frame_ids and e is not None and t is not None}
    missing = sorted(frame_ids - known.keys())
    for part in _batched(missing, IN_BATCH):
        for frame_id, entry_id, time in conn.execute(_DETAILS, {"ids": list(part)}):
            known[frame_id] = (entry_id, float(time))
    return known


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
        wanted = [
            sorted({n for q in queries for n in neighbours((q >> shift) & ((1 << width) - 1), bits, width)})
            for (shift, width), bits in zip(LAYOUT, chunk_radii(radius), strict=True)
        ]
        near: list[tuple[int, int, int]] = []  # (frame id, query, distance)
        with self.db.engine.connect() as conn:
            fetched = _candidates(conn, self.app_id, wanted)
            if not fetched:
                return []
            # the whole distance of every fetched frame to every query, vectorised
            table = np.array([(frame_id, value) for frame_id, value, _, _ in fetched], dtype=np.int64)
            ids, first = np.unique(table[:, 0], return_index=True)
            values = table[first, 1].view(np.uint64)
            for query in queries:
                distances = np.bitwise_count(values ^ np.uint64(query))
                for i in np.flatnonzero(distances <= radius).tolist():
                    near.append((int(ids[i]), query, int(distances[i])))
            if not near:
                return []
            where = _details(conn, fetched, {frame_id for frame_id, _, _ in near})
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
