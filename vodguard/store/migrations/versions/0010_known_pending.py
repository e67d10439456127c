"""known content: known_pending, a person's block waiting for its frames to be hashed into the bank

Revision ID: 3f6b8d2a9e41
Revises: 7c1e9a3d5f20
Create Date: 2026-12-04 00:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "3f6b8d2a9e41"
down_revision = "7c1e9a3d5f20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_pending",
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["decision_id"], ["review_decisions.id"]),
        sa.PrimaryKeyConstraint("decision_id"),
    )
    op.create_index("ix_known_pending_file_id", "known_pending", ["file_id"])
    op.create_index("ix_known_pending_lease_until", "known_pending", ["lease_until"])


def downgrade() -> None:
    op.drop_index("ix_known_pending_lease_until", table_name="known_pending")
    op.drop_index("ix_known_pending_file_id", table_name="known_pending")
    op.drop_table("known_pending")
