"""sign-in lockout and API replay cache: sign_in_failures, seen_api_signatures (shared by every API server)

Revision ID: 0a4e9c1d7b52
Revises: 7daded1c6926
Create Date: 2026-12-03 14:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0a4e9c1d7b52"
down_revision = "7daded1c6926"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seen_api_signatures",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=128), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_index("ix_seen_api_signatures_expires_at", "seen_api_signatures", ["expires_at"])
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sign_in_failures_at", "sign_in_failures", ["at"])
    op.create_index("ix_sign_in_failures_subject_at", "sign_in_failures", ["subject", "at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_failures_subject_at", table_name="sign_in_failures")
    op.drop_index("ix_sign_in_failures_at", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
    op.drop_index("ix_seen_api_signatures_expires_at", table_name="seen_api_signatures")
    op.drop_table("seen_api_signatures")
