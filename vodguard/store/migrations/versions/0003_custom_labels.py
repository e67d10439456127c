"""custom labels: review_templates.custom_labels (an app's own text labels and their examples)

Revision ID: 7daded1c6926
Revises: 7c1e0b2a9d41
Create Date: 2026-12-03 13:30:39
"""

import sqlalchemy as sa
from alembic import op

revision = "7daded1c6926"
down_revision = "7c1e0b2a9d41"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_templates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("custom_labels", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("review_templates", schema=None) as batch_op:
        batch_op.drop_column("custom_labels")
