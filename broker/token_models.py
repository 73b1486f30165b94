"""Personal API tokens: a member's named bearer tokens for the admin API (docs/admin.md).

A row keeps the SHA-256 of the token (`broker.tokens.hash_token`, as for session cookies),
never the token: the token has 256 random bits, so an unsalted hash is enough and a copy of the
database calls no API. Revoked rows stay, for the audit trail and the member's list.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from broker.db import Base, UtcDateTime, new_id
from broker.models import utcnow

_TS = UtcDateTime()  # aware UTC in Python on both engines (`broker.db`)


class ApiToken(Base):
    """One named personal API token of one member."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_member", "member_id", "revoked_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
