"""key names and last use: api_keys.name, api_keys.last_used_at

Revision ID: 2e7a4b9c5d31
Revises: 9c3d6e8f0b14
Create Date: 2026-12-03 19:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "2e7a4b9c5d31"
down_revision = "9c3d6e8f0b14"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=64), server_default="", nullable=False))
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("name")
