"""Mark teams pushed over SCIM: Okta's Group Push sends no externalId, so the mark owns them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 17:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.add_column(
            sa.Column("scim_pushed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Teams with an external id only ever came over SCIM: they were pushed.
    op.execute(
        sa.text("UPDATE teams SET scim_pushed = :yes WHERE external_id IS NOT NULL").bindparams(
            yes=True
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.drop_column("scim_pushed")
