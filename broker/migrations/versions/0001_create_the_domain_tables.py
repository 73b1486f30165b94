"""Create the domain tables

Revision ID: 0001
Revises:
Create Date: 2026-11-23 11:25:34.653403
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sealed_secrets",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sealed_secrets")),
    )
    with op.batch_alter_table("sealed_secrets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sealed_secrets_key_id"), ["key_id"], unique=False)

    op.create_table(
        "workspaces",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("extended_access_enabled", sa.Boolean(), nullable=False),
        sa.Column("okta_domain", sa.String(length=255), nullable=True),
        sa.Column("okta_token_secret_id", sa.String(length=32), nullable=True),
        sa.Column(
            "okta_token_status",
            sa.Enum(
                "unset",
                "unchecked",
                "ok",
                "invalid",
                name="tokenstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("okta_token_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("okta_token_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["okta_token_secret_id"],
            ["sealed_secrets.id"],
            name=op.f("fk_workspaces_okta_token_secret_id_sealed_secrets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
        sa.UniqueConstraint("name", name=op.f("uq_workspaces_name")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("app_name", sa.String(length=200), nullable=False),
        sa.Column("login_url", sa.String(length=2048), nullable=False),
        sa.Column("username", sa.String(length=320), nullable=False),
        sa.Column("password_secret_id", sa.String(length=32), nullable=True),
        sa.Column("totp_secret_id", sa.String(length=32), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["password_secret_id"],
            ["sealed_secrets.id"],
            name=op.f("fk_accounts_password_secret_id_sealed_secrets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["totp_secret_id"],
            ["sealed_secrets.id"],
            name=op.f("fk_accounts_totp_secret_id_sealed_secrets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_accounts_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accounts_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=True),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_audit_events_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_workspace_at", ["workspace_id", "at"], unique=False)

    op.create_table(
        "collections",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["collections.id"],
            name=op.f("fk_collections_parent_id_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_collections_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
        sa.UniqueConstraint(
            "workspace_id",
            "parent_id",
            "name",
            name=op.f("uq_collections_workspace_id_parent_id_name"),
        ),
    )
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collections_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "members",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "owner",
                "super_admin",
                "admin",
                "user",
                "login_only",
                "guest",
                name="workspacerole",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("scim_id", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_members_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("scim_id", name=op.f("uq_members_scim_id")),
        sa.UniqueConstraint("workspace_id", "email", name=op.f("uq_members_workspace_id_email")),
        sa.UniqueConstraint(
            "workspace_id", "external_id", name=op.f("uq_members_workspace_id_external_id")
        ),
    )
    op.create_table(
        "sync_outbox",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_sync_outbox_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_sync_outbox")),
    )
    with op.batch_alter_table("sync_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_outbox_due_at"), ["due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sync_outbox_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "teams",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scim_id", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_teams_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("scim_id", name=op.f("uq_teams_scim_id")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_teams_workspace_id_name")),
    )
    op.create_table(
        "collection_items",
        sa.Column("collection_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_collection_items_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_collection_items_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("collection_id", "account_id", name=op.f("pk_collection_items")),
    )
    with op.batch_alter_table("collection_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_items_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "okta_extensions",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("okta_app_id", sa.String(length=64), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("extended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("extended_by_id", sa.String(length=32), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "sync_state",
            sa.Enum(
                "pending",
                "synced",
                "failed",
                "removing",
                name="syncstate",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("removal_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_okta_extensions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["extended_by_id"],
            ["members.id"],
            name=op.f("fk_okta_extensions_extended_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_okta_extensions_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_okta_extensions")),
    )
    with op.batch_alter_table("okta_extensions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_okta_extensions_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "shares",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=True),
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("account_id", sa.String(length=32), nullable=True),
        sa.Column("collection_id", sa.String(length=32), nullable=True),
        sa.Column(
            "role",
            sa.Enum("owner", "collaborator", name="itemrole", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(account_id IS NULL) <> (collection_id IS NULL)", name=op.f("ck_shares_one_target")
        ),
        sa.CheckConstraint(
            "(member_id IS NULL) <> (team_id IS NULL)", name=op.f("ck_shares_one_subject")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_shares_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_shares_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_shares_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_shares_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_shares_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
    )
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.create_index("ix_shares_account", ["account_id"], unique=False)
        batch_op.create_index("ix_shares_collection", ["collection_id"], unique=False)
        batch_op.create_index("ix_shares_member", ["member_id"], unique=False)
        batch_op.create_index("ix_shares_team", ["team_id"], unique=False)
        batch_op.create_index(
            "uq_shares_member_account",
            ["member_id", "account_id"],
            unique=True,
            sqlite_where=sa.text("member_id IS NOT NULL AND account_id IS NOT NULL"),
            postgresql_where=sa.text("member_id IS NOT NULL AND account_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_shares_member_collection",
            ["member_id", "collection_id"],
            unique=True,
            sqlite_where=sa.text("member_id IS NOT NULL AND collection_id IS NOT NULL"),
            postgresql_where=sa.text("member_id IS NOT NULL AND collection_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_shares_team_account",
            ["team_id", "account_id"],
            unique=True,
            sqlite_where=sa.text("team_id IS NOT NULL AND account_id IS NOT NULL"),
            postgresql_where=sa.text("team_id IS NOT NULL AND account_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_shares_team_collection",
            ["team_id", "collection_id"],
            unique=True,
            sqlite_where=sa.text("team_id IS NOT NULL AND collection_id IS NOT NULL"),
            postgresql_where=sa.text("team_id IS NOT NULL AND collection_id IS NOT NULL"),
        )

    op.create_table(
        "team_memberships",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_team_memberships_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_memberships_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "member_id", name=op.f("pk_team_memberships")),
    )
    with op.batch_alter_table("team_memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_team_memberships_member_id"), ["member_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("team_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_memberships_member_id"))

    op.drop_table("team_memberships")
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_shares_team_collection",
            sqlite_where=sa.text("team_id IS NOT NULL AND collection_id IS NOT NULL"),
            postgresql_where=sa.text("team_id IS NOT NULL AND collection_id IS NOT NULL"),
        )
        batch_op.drop_index(
            "uq_shares_team_account",
            sqlite_where=sa.text("team_id IS NOT NULL AND account_id IS NOT NULL"),
            postgresql_where=sa.text("team_id IS NOT NULL AND account_id IS NOT NULL"),
        )
        batch_op.drop_index(
            "uq_shares_member_collection",
            sqlite_where=sa.text("member_id IS NOT NULL AND collection_id IS NOT NULL"),
            postgresql_where=sa.text("member_id IS NOT NULL AND collection_id IS NOT NULL"),
        )
        batch_op.drop_index(
            "uq_shares_member_account",
            sqlite_where=sa.text("member_id IS NOT NULL AND account_id IS NOT NULL"),
            postgresql_where=sa.text("member_id IS NOT NULL AND account_id IS NOT NULL"),
        )
        batch_op.drop_index("ix_shares_team")
        batch_op.drop_index("ix_shares_member")
        batch_op.drop_index("ix_shares_collection")
        batch_op.drop_index("ix_shares_account")

    op.drop_table("shares")
    with op.batch_alter_table("okta_extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_okta_extensions_workspace_id"))

    op.drop_table("okta_extensions")
    with op.batch_alter_table("collection_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_items_account_id"))

    op.drop_table("collection_items")
    op.drop_table("teams")
    with op.batch_alter_table("sync_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_outbox_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_sync_outbox_due_at"))

    op.drop_table("sync_outbox")
    op.drop_table("members")
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collections_parent_id"))

    op.drop_table("collections")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_workspace_at")

    op.drop_table("audit_events")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_workspace_id"))

    op.drop_table("accounts")
    op.drop_table("workspaces")
    with op.batch_alter_table("sealed_secrets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sealed_secrets_key_id"))

    op.drop_table("sealed_secrets")
