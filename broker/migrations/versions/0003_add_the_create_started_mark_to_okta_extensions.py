"""Add the create-started mark to Okta extensions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:40:18.698166
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("okta_extensions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("create_started_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("okta_extensions", schema=None) as batch_op:
        batch_op.drop_column("create_started_at")
