"""audit log: audit_log (who did what in an app, and when)

Revision ID: 9c3d6e8f0b14
Revises: 5b8f2c4e1a07
Create Date: 2026-12-03 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "9c3d6e8f0b14"
down_revision = "5b8f2c4e1a07"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("app_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("person", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("target", sa.String(length=256), nullable=False),
        sa.Column("detail", sa.String(length=512), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_app_at", "audit_log", ["app_id", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_log_app_at", table_name="audit_log")
    op.drop_table("audit_log")
