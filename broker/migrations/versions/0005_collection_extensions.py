"""Extend collections to Okta: the collection-extension record, and which extended collection
brought each extended account

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 12:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collection_extensions",
        sa.Column("collection_id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("extended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("extended_by_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_collection_extensions_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["extended_by_id"],
            ["members.id"],
            name=op.f("fk_collection_extensions_extended_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_collection_extensions_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("collection_id", name=op.f("pk_collection_extensions")),
    )
    with op.batch_alter_table("collection_extensions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_extensions_workspace_id"), ["workspace_id"], unique=False
        )
    with op.batch_alter_table("okta_extensions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("through_collection_id", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_okta_extensions_through_collection_id_collections"),
            "collections",
            ["through_collection_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("okta_extensions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_okta_extensions_through_collection_id_collections"), type_="foreignkey"
        )
        batch_op.drop_column("through_collection_id")
    with op.batch_alter_table("collection_extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_extensions_workspace_id"))
    op.drop_table("collection_extensions")
