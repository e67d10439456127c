"""known content: known_entries (an app's bank) and known_frames (their frame hashes, chunked for lookup)

Revision ID: 5b8d2f0c4e17
Revises: 2e7a4b9c5d31
Create Date: 2026-12-03 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "5b8d2f0c4e17"
down_revision = "2e7a4b9c5d31"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_entries",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("sub_label", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=512), nullable=False),
        sa.Column("file_id", sa.String(length=32), nullable=False),
        sa.Column("source_name", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_known_entries_app_id", "known_entries", ["app_id"])
    op.create_index("ix_known_entries_file", "known_entries", ["app_id", "file_id"])
    op.create_table(
        "known_frames",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("entry_id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("time", sa.Float(), nullable=False),
        sa.Column("hash", sa.BigInteger(), nullable=False),
        sa.Column("c0", sa.Integer(), nullable=False),
        sa.Column("c1", sa.Integer(), nullable=False),
        sa.Column("c2", sa.Integer(), nullable=False),
        sa.Column("c3", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["known_entries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_known_frames_entry_id", "known_frames", ["entry_id"])
    for i in range(4):
        op.create_index(f"ix_known_frames_c{i}", "known_frames", ["app_id", f"c{i}", "hash"])


def downgrade() -> None:
    for i in range(4):
        op.drop_index(f"ix_known_frames_c{i}", table_name="known_frames")
    op.drop_index("ix_known_frames_entry_id", table_name="known_frames")
    op.drop_table("known_frames")
    op.drop_index("ix_known_entries_file", table_name="known_entries")
    op.drop_index("ix_known_entries_app_id", table_name="known_entries")
    op.drop_table("known_entries")
