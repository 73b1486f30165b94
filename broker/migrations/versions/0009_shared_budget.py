"""Add the Okta rate-limit budget that sync workers on one token share

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "okta_rate_budgets",
        sa.Column("token_key", sa.String(length=64), nullable=False),
        sa.Column("bucket", sa.String(length=32), nullable=False),
        sa.Column("reset", sa.Float(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("window_limit", sa.Integer(), nullable=True),
        sa.Column("probe_until", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_key", "bucket", name=op.f("pk_okta_rate_budgets")),
    )


def downgrade() -> None:
    op.drop_table("okta_rate_budgets")
