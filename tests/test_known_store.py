"""The bank's SQL lookup (services/known_lookup.py) on a real database: the same answers as the engine's in-memory
index, and the chunk indexes in the query plan (never a scan of the table)."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select, text

from tests.server import scale_overrides
from vodguard.config import Settings
from vodguard.moderation.known import FrameHash, MemoryIndex
from vodguard.services import apps, known
from vodguard.services.known_lookup import (
    SqlKnownLookup,
    chunk_radii,
    chunks,
    neighbours,
    to_signed,
    to_unsigned,
)
from vodguard.store.db import Database, migrate
from vodguard.store.models import KnownFrame
from vodguard.timeutil import utcnow


@pytest.fixture()
def db(tmp_path):
    settings = Settings(data_dir=tmp_path, **scale_overrides(tmp_path))
    migrate(settings.sqlalchemy_url)
    database = Database(settings.sqlalchemy_url)
    yield database
    database.dispose()


def near(value: int, bits: int, rng: random.Random) -> int:
    for bit in rng.sample(range(64), bits):
        value ^= 1 << bit
    return value


def test_signed_storage_and_chunks_round_trip():
    for value in (0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1, 0x0123456789ABCDEF):
        assert to_unsigned(to_signed(value)) == value
        assert -(1 << 63) <= to_signed(value) < 1 << 63
        k0, k1, k2 = chunks(value)
        assert k0 | k1 << 22 | k2 << 43 == value
        assert k0 < 1 << 22 and k1 < 1 << 21 and k2 < 1 << 21
    assert len(neighbours(0x1234, 2, 21)) == 1 + 21 + 210
    assert all((n ^ 0x1234).bit_count() <= 2 and n < 1 << 21 for n in neighbours(0x1234, 2, 21))
    assert neighbours(0x1234, -1, 21) == []


def test_chunk_radii_leave_no_pair_within_the_radius_unfound():
    # three chunks within their radii cover every pair within r: the radii add up to r - 2 (pigeonhole)
    assert chunk_radii(8) == (2, 2, 2)
    assert chunk_radii(0) == (0, -1, -1)
    for radius in range(20):
        assert sum(chunk_radii(radius)) == radius - 2


def test_sql_lookup_answers_as_the_memory_index_does(db):
    rng = random.Random(16)
    now = utcnow()
    memory = MemoryIndex()
    with db.transaction() as s:
        app_id = apps.create_app(s, now=now).id
        other_app = apps.create_app(s, now=now).id
        entries = []
        for n in range(40):
            frames = [(float(t), rng.getrandbits(64)) for t in range(50)]
            entry = known.add_entry(
                s, app_id=app_id, label="Porn", kind="video", origin="file", frames=frames, now=now,
                source_name=f"v{n}.mp4",
            )  # fmt: skip
            memory.add(entry.id, [FrameHash(t, h, 0) for t, h in frames])
            entries.append(frames)
        # another app's bank holds the very same hashes: a lookup never sees them
        known.add_entry(
            s, app_id=other_app, label="Porn", kind="video", origin="file", frames=entries[0], now=now
        )
    lookup = SqlKnownLookup(db, app_id)
    queries = [near(h, rng.randint(0, 14), rng) for frames in entries[:10] for _, h in frames[::7]]
    queries += [rng.getrandbits(64) for _ in range(50)]  # unrelated hashes find nothing
    for radius in (0, 4, 10, 13):
        got = sorted((c.entry_id, c.time, c.distance, c.query_hash) for c in lookup.lookup(queries, radius))
        want = sorted((c.entry_id, c.time, c.distance, c.query_hash) for c in memory.lookup(queries, radius))
        assert got == want
        assert all(c[2] <= radius for c in got)
    assert len(lookup.lookup(queries, 10)) >= 40  # most of the near hashes are found
    assert lookup.lookup([], 10) == []


def test_the_lookup_reads_the_chunk_indexes_not_the_table(db):
    if not db.url.startswith("sqlite"):
        pytest.skip("the plan is read from SQLite's EXPLAIN QUERY PLAN")
    statement = select(KnownFrame.id, KnownFrame.hash).where(
        KnownFrame.app_id == 1, KnownFrame.k2.in_([1, 2, 3])
    )
    sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    with db.engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
    assert "ix_known_frames_k2" in plan and "SCAN" not in plan


def test_an_empty_bank_gives_no_lookup(db):
    with db.transaction() as s:
        app_id = apps.create_app(s, now=utcnow()).id
    assert known.lookup_for(db, app_id) is None
    with db.transaction() as s:
        entry = known.add_entry(
            s, app_id=app_id, label="Terror", kind="picture", origin="file", frames=[(0.0, 42)], now=utcnow()
        )
    assert known.lookup_for(db, app_id) is not None
    with db.transaction() as s:
        known.remove_entry(s, app_id=app_id, entry_id=entry.id)
    assert known.lookup_for(db, app_id) is None


def test_a_bank_from_before_the_wide_chunks_is_filled_in_by_the_migration(tmp_path):
    """A bank written under revision 0008 (four 16-bit chunk columns) is found by today's lookup after upgrading:
    the migration fills the wide chunk columns from each row's hash."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    from vodguard.store.db import MIGRATIONS

    (tmp_path / "old").mkdir()
    settings = Settings(data_dir=tmp_path / "old", **scale_overrides(tmp_path / "old"))
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", settings.sqlalchemy_url.replace("%", "%%"))
    command.upgrade(cfg, "5b8d2f0c4e17")  # 0008_known_content
    rng = random.Random(9)
    banked = [rng.getrandbits(64) for _ in range(300)] + [0, (1 << 64) - 1, 1 << 63]
    old = Database(settings.sqlalchemy_url)
    try:
        with old.transaction() as s:
            app_id = apps.create_app(s, now=utcnow()).id
            s.execute(
                text(
                    "INSERT INTO known_entries (id, app_id, label, sub_label, reason, file_id, source_name, kind,"
                    " origin, created_by, created_at) VALUES ('known-old', :app, 'Porn', '', '', '', 'old.mp4',"
                    " 'video', 'file', '', :now)"
                ),
                {"app": app_id, "now": utcnow()},
            )
            for n, value in enumerate(banked):
                parts = {f"c{i}": (value >> (16 * i)) & 0xFFFF for i in range(4)}
                s.execute(
                    text(
                        "INSERT INTO known_frames (entry_id, app_id, time, hash, c0, c1, c2, c3) VALUES"
                        " ('known-old', :app, :time, :hash, :c0, :c1, :c2, :c3)"
                    ),
                    {"app": app_id, "time": float(n), "hash": to_signed(value), **parts},
                )
    finally:
        old.dispose()
    migrate(settings.sqlalchemy_url)
    db = Database(settings.sqlalchemy_url)
    try:
        with db.transaction() as s:
            stored = s.execute(select(KnownFrame.hash, KnownFrame.k0, KnownFrame.k1, KnownFrame.k2)).all()
        assert sorted((to_unsigned(h), (k0, k1, k2)) for h, k0, k1, k2 in stored) == sorted(
            (v, chunks(v)) for v in banked
        )
        lookup = SqlKnownLookup(db, app_id)
        queries = [near(v, 8, rng) for v in banked[::10]]
        found = {c.query_hash for c in lookup.lookup(queries, 8)}
        assert found == set(queries)
        assert [c.time for c in lookup.lookup([banked[-1]], 0)] == [float(len(banked) - 1)]
    finally:
        db.dispose()
