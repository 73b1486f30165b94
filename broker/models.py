"""The broker's domain tables.

Workspaces hold members, teams, accounts and nested collections; shares give a member or a team a
role on an account or a collection. An extended account has an `OktaExtension` row; every change
that can alter an extended account's Okta state writes a `SyncOutbox` row in the same transaction.
Secrets never sit in these tables: they are `SealedSecret` rows, encrypted by `broker.vault`.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from broker.db import Base, UtcDateTime, new_id


def utcnow() -> datetime:
    return datetime.now(UTC)


class WorkspaceRole(enum.StrEnum):
    OWNER = "owner"
    SUPER_ADMIN = "super_admin"
    ADMIN = "admin"
    USER = "user"
    LOGIN_ONLY = "login_only"
    GUEST = "guest"


class ItemRole(enum.StrEnum):
    OWNER = "owner"
    COLLABORATOR = "collaborator"


class SyncState(enum.StrEnum):
    PENDING = "pending"
    SYNCED = "synced"
    FAILED = "failed"
    REMOVING = "removing"


class TokenStatus(enum.StrEnum):
    UNSET = "unset"
    UNCHECKED = "unchecked"
    OK = "ok"
    INVALID = "invalid"  # Okta refused the token: the settings page shows *Update*


def _enum(cls: type[enum.StrEnum]) -> Enum:
    # Stored as plain strings with a CHECK, the same on SQLite and PostgreSQL.
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


_TS = UtcDateTime()  # aware UTC in Python on both engines (`broker.db`)


class SealedSecret(Base):
    """One secret, encrypted with its own data key; the data key is wrapped by a master key."""

    __tablename__ = "sealed_secrets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    purpose: Mapped[str] = mapped_column(String(40))
    key_id: Mapped[str] = mapped_column(String(64), index=True)  # master key that wraps the DEK
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    rotated_at: Mapped[datetime | None] = mapped_column(_TS, default=None)


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    extended_access_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    okta_domain: Mapped[str | None] = mapped_column(String(255), default=None)
    okta_token_secret_id: Mapped[str | None] = mapped_column(
        ForeignKey("sealed_secrets.id", ondelete="SET NULL"), default=None
    )
    okta_token_status: Mapped[TokenStatus] = mapped_column(
        _enum(TokenStatus), default=TokenStatus.UNSET
    )
    okta_token_checked_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    okta_token_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("workspace_id", "email"),
        UniqueConstraint("workspace_id", "external_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[WorkspaceRole] = mapped_column(_enum(WorkspaceRole), default=WorkspaceRole.USER)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # SCIM: `scim_id` is the id we hand to Okta; `external_id` is the Okta user id it sends us.
    scim_id: Mapped[str] = mapped_column(String(64), unique=True, default=new_id)
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    # SCIM `name.givenName`, `name.familyName` and `locale`, kept as Okta sends them.
    given_name: Mapped[str | None] = mapped_column(String(100), default=None)
    family_name: Mapped[str | None] = mapped_column(String(100), default=None)
    locale: Mapped[str | None] = mapped_column(String(35), default=None)
    # SCIM `meta.lastModified`: moves with every change of the row (None: never changed).
    updated_at: Mapped[datetime | None] = mapped_column(_TS, default=None, onupdate=utcnow)


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    scim_id: Mapped[str] = mapped_column(String(64), unique=True, default=new_id)
    # Set when the team mirrors an Okta group pushed over SCIM.
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # Set when Okta's Group Push created or took over the team over SCIM (Okta sends no
    # externalId on create): its name and members are Okta's, not editable in the broker.
    scim_pushed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    # SCIM `meta.lastModified`: moves with every change of the team or its members.
    updated_at: Mapped[datetime | None] = mapped_column(_TS, default=None, onupdate=utcnow)

    memberships: Mapped[list[TeamMembership]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def managed_by_okta(self) -> bool:
        """Okta's Group Push owns the team: pushed over SCIM, with or without an external id."""
        return self.scim_pushed or self.external_id is not None


class TeamMembership(Base):
    __tablename__ = "team_memberships"

    team_id: Mapped[str] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[str] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Collection(Base):
    __tablename__ = "collections"
    __table_args__ = (UniqueConstraint("workspace_id", "parent_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), default=None, index=True
    )
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    app_name: Mapped[str] = mapped_column(String(200))
    login_url: Mapped[str] = mapped_column(String(2048))
    username: Mapped[str] = mapped_column(String(320))
    password_secret_id: Mapped[str | None] = mapped_column(
        ForeignKey("sealed_secrets.id", ondelete="SET NULL"), default=None
    )
    totp_secret_id: Mapped[str | None] = mapped_column(
        ForeignKey("sealed_secrets.id", ondelete="SET NULL"), default=None
    )
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    # Deleted accounts stay as tombstones until sync has removed their Okta app.
    deleted_at: Mapped[datetime | None] = mapped_column(_TS, default=None)


class CollectionItem(Base):
    __tablename__ = "collection_items"

    collection_id: Mapped[str] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True
    )


def _unique_share_indexes() -> list[Index]:
    # NULLs are distinct in unique constraints on both engines: one partial index per shape.
    indexes = []
    for subject in ("member_id", "team_id"):
        for target in ("account_id", "collection_id"):
            where = text(f"{subject} IS NOT NULL AND {target} IS NOT NULL")
            indexes.append(
                Index(
                    f"uq_shares_{subject[:-3]}_{target[:-3]}",
                    subject,
                    target,
                    unique=True,
                    sqlite_where=where,
                    postgresql_where=where,
                )
            )
    return indexes


class Share(Base):
    """A member or a team holds a role on an account or a collection."""

    __tablename__ = "shares"
    __table_args__ = (
        CheckConstraint("(member_id IS NULL) <> (team_id IS NULL)", name="one_subject"),
        CheckConstraint("(account_id IS NULL) <> (collection_id IS NULL)", name="one_target"),
        *_unique_share_indexes(),
        Index("ix_shares_account", "account_id"),
        Index("ix_shares_collection", "collection_id"),
        Index("ix_shares_member", "member_id"),
        Index("ix_shares_team", "team_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    member_id: Mapped[str | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), default=None
    )
    team_id: Mapped[str | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), default=None
    )
    account_id: Mapped[str | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), default=None
    )
    collection_id: Mapped[str | None] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), default=None
    )
    role: Mapped[ItemRole] = mapped_column(_enum(ItemRole))
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)


class OktaExtension(Base):
    """An account extended to Okta as a Bookmark app, and how its sync went."""

    __tablename__ = "okta_extensions"

    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    okta_app_id: Mapped[str | None] = mapped_column(String(64), default=None)
    label: Mapped[str | None] = mapped_column(String(100), default=None)
    extended_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    extended_by_id: Mapped[str | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), default=None
    )
    last_synced_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    sync_state: Mapped[SyncState] = mapped_column(_enum(SyncState), default=SyncState.PENDING)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # Set by *Remove from Okta*: sync deletes the app, then the row.
    removal_requested_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    # Set (and committed) just before sync asks Okta to create the app: until Okta's listing
    # shows a new app, "not found" does not mean "never made" (docs/sync.md).
    create_started_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    # Assignments sync made or removed lately, {"assigned"|"unassigned": {okta user id: epoch
    # seconds}}: Okta's user listing may not show them yet (sync/recent.py).
    recent_writes: Mapped[dict[str, dict[str, float]] | None] = mapped_column(JSON, default=None)
    # How the last successful sync assigned the app (docs/sync.md, "Okta groups"): the Okta
    # groups of pushed teams it assigned, how many people hold it otherwise, the teams whose
    # group it could not use and why, and what it left in Okta. Written by sync only.
    okta_assignment: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # The extended collection that brought the account to Okta; None: extended on its own
    # (docs/owner.md, "Extend a collection to Okta").
    through_collection_id: Mapped[str | None] = mapped_column(
        ForeignKey("collections.id", ondelete="SET NULL"), default=None
    )


class CollectionExtension(Base):
    """A collection extended to Okta: every account in it and beneath it, now and later."""

    __tablename__ = "collection_extensions"

    collection_id: Mapped[str] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    extended_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    extended_by_id: Mapped[str | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), default=None
    )


class SyncOutbox(Base):
    """Accounts whose Okta state may have changed: one row per account, coalesced."""

    __tablename__ = "sync_outbox"

    account_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(200))
    enqueued_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(_TS, default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped on every coalesced write, so a worker can tell a change made while it ran.
    version: Mapped[int] = mapped_column(Integer, default=1)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_workspace_at", "workspace_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    actor_id: Mapped[str | None] = mapped_column(String(32), default=None)
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(32), default=None)
    target_id: Mapped[str | None] = mapped_column(String(64), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
