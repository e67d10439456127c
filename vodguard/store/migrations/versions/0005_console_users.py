"""console users: console_users (per-person console accounts with a role)

Revision ID: 5b8f2c4e1a07
Revises: 0a4e9c1d7b52
Create Date: 2026-12-03 18:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "5b8f2c4e1a07"
down_revision = "0a4e9c1d7b52"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("app_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("app_id", "name", name="uq_console_users_app_name"),
    )
    op.create_index("ix_console_users_app_id", "console_users", ["app_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_console_users_app_id", table_name="console_users")
    op.drop_table("console_users")
