"""Add sessions, sign-in transactions, grants, extension credentials and password rotations

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:02:26.430941
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proof_jtis",
        sa.Column("jkt", sa.String(length=64), nullable=False),
        sa.Column("jti_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jkt", "jti_hash", name=op.f("pk_proof_jtis")),
    )
    with op.batch_alter_table("proof_jtis", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proof_jtis_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "signin_transactions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("binder_hash", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("return_to", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_transactions")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_signin_transactions_state_hash")),
    )
    with op.batch_alter_table("signin_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signin_transactions_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "broker_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_broker_sessions_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_broker_sessions_token_hash")),
    )
    with op.batch_alter_table("broker_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_broker_sessions_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            "ix_broker_sessions_member", ["member_id", "revoked_at"], unique=False
        )

    op.create_table(
        "extension_credentials",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("jkt", sa.String(length=64), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_extension_credentials_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_extension_credentials_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extension_credentials")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_extension_credentials_token_hash")),
    )
    with op.batch_alter_table("extension_credentials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_extension_credentials_jkt"), ["jkt"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_extension_credentials_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "launch_grants",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redeemed_by_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_launch_grants_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_launch_grants_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_launch_grants_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_launch_grants")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_launch_grants_token_hash")),
    )
    with op.batch_alter_table("launch_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_launch_grants_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_launch_grants_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_launch_grants_member_id"), ["member_id"], unique=False)

    op.create_table(
        "password_rotations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "done", "failed", name="rotationstatus", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_password_rotations_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_password_rotations_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_rotations")),
    )
    with op.batch_alter_table("password_rotations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_password_rotations_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            "ix_password_rotations_status_due", ["status", "due_at"], unique=False
        )

    op.create_table(
        "fill_tickets",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("credential_id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("grant_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_fill_tickets_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["extension_credentials.id"],
            name=op.f("fk_fill_tickets_credential_id_extension_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_fill_tickets_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_fill_tickets_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fill_tickets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_fill_tickets_token_hash")),
    )
    with op.batch_alter_table("fill_tickets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fill_tickets_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fill_tickets_credential_id"), ["credential_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fill_tickets_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "password_rotation_candidates",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("rotation_id", sa.String(length=32), nullable=False),
        sa.Column("secret_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rotation_id"],
            ["password_rotations.id"],
            name=op.f("fk_password_rotation_candidates_rotation_id_password_rotations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["secret_id"],
            ["sealed_secrets.id"],
            name=op.f("fk_password_rotation_candidates_secret_id_sealed_secrets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_rotation_candidates")),
    )
    with op.batch_alter_table("password_rotation_candidates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_password_rotation_candidates_rotation_id"), ["rotation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("password_rotation_candidates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_rotation_candidates_rotation_id"))

    op.drop_table("password_rotation_candidates")
    with op.batch_alter_table("fill_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fill_tickets_expires_at"))
        batch_op.drop_index(batch_op.f("ix_fill_tickets_credential_id"))
        batch_op.drop_index(batch_op.f("ix_fill_tickets_account_id"))

    op.drop_table("fill_tickets")
    with op.batch_alter_table("password_rotations", schema=None) as batch_op:
        batch_op.drop_index("ix_password_rotations_status_due")
        batch_op.drop_index(batch_op.f("ix_password_rotations_account_id"))

    op.drop_table("password_rotations")
    with op.batch_alter_table("launch_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_launch_grants_member_id"))
        batch_op.drop_index(batch_op.f("ix_launch_grants_expires_at"))
        batch_op.drop_index(batch_op.f("ix_launch_grants_account_id"))

    op.drop_table("launch_grants")
    with op.batch_alter_table("extension_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extension_credentials_member_id"))
        batch_op.drop_index(batch_op.f("ix_extension_credentials_jkt"))

    op.drop_table("extension_credentials")
    with op.batch_alter_table("broker_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_broker_sessions_member")
        batch_op.drop_index(batch_op.f("ix_broker_sessions_expires_at"))

    op.drop_table("broker_sessions")
    with op.batch_alter_table("signin_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signin_transactions_expires_at"))

    op.drop_table("signin_transactions")
    with op.batch_alter_table("proof_jtis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proof_jtis_expires_at"))

    op.drop_table("proof_jtis")
