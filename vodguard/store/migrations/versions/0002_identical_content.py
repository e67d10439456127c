"""identical content: tasks.reuse_key / reused_from, media.sha256, review_decisions.sha256

Revision ID: 7c1e0b2a9d41
Revises: f619d5a9defc
Create Date: 2026-12-01 07:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "7c1e0b2a9d41"
down_revision = "f619d5a9defc"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reuse_key", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("reused_from", sa.String(length=96), nullable=False, server_default=""))
        batch_op.create_index("ix_tasks_reuse", ["app_id", "reuse_key"], unique=False)
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sha256", sa.String(length=64), nullable=False, server_default=""))
    with op.batch_alter_table("review_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sha256", sa.String(length=64), nullable=False, server_default=""))
        batch_op.create_index("ix_review_decisions_sha256", ["app_id", "sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_review_decisions_sha256")
        batch_op.drop_column("sha256")
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_column("sha256")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_reuse")
        batch_op.drop_column("reused_from")
        batch_op.drop_column("reuse_key")
