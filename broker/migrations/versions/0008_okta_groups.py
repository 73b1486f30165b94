"""Add how sync assigned each app in Okta (Okta groups of pushed teams, or one by one)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("okta_extensions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("okta_assignment", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("okta_extensions", schema=None) as batch_op:
        batch_op.drop_column("okta_assignment")
