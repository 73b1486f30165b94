"""Tables of the launch grant and the extension API.

    launch_grants           single-use grants the launch page hands to the extension
    extension_credentials   an extension's key pair registered against a member
    proof_jtis              proof ids already seen, kept until their proof would be too old anyway
    fill_tickets            what a redeemed grant leaves behind to fetch verification codes

Tokens (grants, credentials, tickets) are stored as SHA-256 hex digests, never in clear.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import JSON, CursorResult, DateTime, ForeignKey, String, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from broker.db import Base, new_id
from broker.models import utcnow

_TS = DateTime(timezone=True)
_HASH = String(64)  # hex SHA-256


TOKEN_BYTES = 32  # 256 bits of randomness per grant, credential and ticket


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """What the tables keep of a token. Unsalted is fine: the token itself has 256 random bits."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def aware(value: datetime) -> datetime:
    """SQLite hands timestamps back naive; every timestamp here is written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class LaunchGrant(Base):
    __tablename__ = "launch_grants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(_HASH, unique=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    # The broker session the launch page ran in (owned by `broker.sessions`; no FK on purpose,
    # so the two tables can evolve apart).
    session_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(_TS, index=True)
    redeemed_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    redeemed_by_id: Mapped[str | None] = mapped_column(String(32), default=None)


class ExtensionCredential(Base):
    __tablename__ = "extension_credentials"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(_HASH, unique=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    # RFC 7638 §3 thumbprint of the registered key, and the public key itself (RFC 7517).
    jkt: Mapped[str] = mapped_column(String(64), index=True)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    origin: Mapped[str] = mapped_column(String(255))
    session_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(_TS)
    last_used_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(_TS, default=None)


class ProofJti(Base):
    """RFC 9449 §11.1: a proof's `jti` is accepted once per key while its `iat` is acceptable."""

    __tablename__ = "proof_jtis"

    jkt: Mapped[str] = mapped_column(String(64), primary_key=True)
    jti_hash: Mapped[str] = mapped_column(_HASH, primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(_TS, index=True)


class FillTicket(Base):
    __tablename__ = "fill_tickets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(_HASH, unique=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    credential_id: Mapped[str] = mapped_column(
        ForeignKey("extension_credentials.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    grant_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(_TS, index=True)


def revoke_credentials(db: Session, member_id: str, *, now: datetime) -> int:
    """End every live extension credential of a member, in the caller's transaction
    (deactivation: `broker.actions.members`)."""
    result = db.execute(
        update(ExtensionCredential)
        .where(ExtensionCredential.member_id == member_id, ExtensionCredential.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], result).rowcount)
