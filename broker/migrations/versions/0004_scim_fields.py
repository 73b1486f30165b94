"""Keep the SCIM name parts, locale and last-modified times of members and teams

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 12:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("given_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("family_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("locale", sa.String(length=35), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("locale")
        batch_op.drop_column("family_name")
        batch_op.drop_column("given_name")
