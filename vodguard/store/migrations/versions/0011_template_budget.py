"""template budget: review_templates.budget (fast, balanced or thorough: how densely a video is sampled)

Revision ID: 5b2e7c9d1a08
Revises: 3f6b8d2a9e41
Create Date: 2026-12-04 10:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "5b2e7c9d1a08"
down_revision = "3f6b8d2a9e41"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_templates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("budget", sa.String(16), server_default="balanced", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("review_templates", schema=None) as batch_op:
        batch_op.drop_column("budget")
