"""known content: the frame hashes' lookup columns become three chunks of 22, 21 and 21 bits (k0..k2) instead of
four of 16 (c0..c3), filled from each row's hash

Revision ID: 7c1e9a3d5f20
Revises: 5b8d2f0c4e17
Create Date: 2026-12-03 23:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "7c1e9a3d5f20"
down_revision = "5b8d2f0c4e17"
branch_labels = None
depends_on = None

# (column, shift, width): the same layout as services/known_lookup.py, frozen here as this revision has it. The
# hash is a signed BIGINT; shifting it right copies its sign bit down, and the mask keeps the chunk's bits alone,
# so one UPDATE fills the columns on SQLite and PostgreSQL alike.
_WIDE = (("k0", 0, 22), ("k1", 22, 21), ("k2", 43, 21))
_NARROW = (("c0", 0, 16), ("c1", 16, 16), ("c2", 32, 16), ("c3", 48, 16))


def _swap(old: tuple[tuple[str, int, int], ...], new: tuple[tuple[str, int, int], ...]) -> None:
    for name, _, _ in old:
        op.drop_index(f"ix_known_frames_{name}", table_name="known_frames")
    for name, _, _ in new:
        op.add_column("known_frames", sa.Column(name, sa.Integer(), nullable=True))
    fill = ", ".join(f"{name} = (hash >> {shift}) & {(1 << width) - 1}" for name, shift, width in new)
    op.execute(f"UPDATE known_frames SET {fill}")
    with op.batch_alter_table("known_frames") as batch:
        for name, _, _ in old:
            batch.drop_column(name)
        for name, _, _ in new:
            batch.alter_column(name, existing_type=sa.Integer(), nullable=False)
    for name, _, _ in new:
        op.create_index(f"ix_known_frames_{name}", "known_frames", ["app_id", name, "hash"])


def upgrade() -> None:
    _swap(_NARROW, _WIDE)


def downgrade() -> None:
    _swap(_WIDE, _NARROW)
