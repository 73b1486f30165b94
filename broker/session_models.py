"""Tables behind a signed-in browser: broker sessions and the sign-in transactions that open them.

Neither table holds a usable secret. A session row keeps the SHA-256 of the random cookie token; a
sign-in transaction keeps the SHA-256 of its `state` and of the browser-binding cookie, and its
PKCE code verifier is derived from both at the callback (`broker.oidc.transactions`), so a copy of
the database signs nobody in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from broker.db import Base, UtcDateTime, new_id
from broker.models import utcnow

_TS = UtcDateTime()  # aware UTC in Python on both engines (`broker.db`)


class BrokerSession(Base):
    """One signed-in browser of one member; revoked rows stay until they expire (for audit)."""

    __tablename__ = "broker_sessions"
    __table_args__ = (Index("ix_broker_sessions_member", "member_id", "revoked_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(_TS, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(_TS, default=None)


class SignInTransaction(Base):
    """An OIDC authorization request in flight: single use, gone within ten minutes."""

    __tablename__ = "signin_transactions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    binder_hash: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(64))  # public: it travels in the request URL
    return_to: Mapped[str] = mapped_column(String(200))  # one of our own paths, built by us
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(_TS, index=True)
