"""Personal API tokens: issue, list, resolve a bearer, revoke (docs/admin.md, "API tokens").

A token is `lk_` followed by 43 URL-safe characters (256 random bits): the prefix lets secret
scanners and people recognise it, and lets the admin API tell a Latchkey token from anything
else in an `Authorization` header. Only its SHA-256 is stored, with the same helper as session
cookies (`broker.tokens.hash_token`). Lookups are by hash, so a guessed token learns nothing
from timing. `last_used_at` is written at most once a minute, so a script's calls are not a
write each.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from broker import audit
from broker.errors import NotFound
from broker.models import Member, utcnow
from broker.services._lookup import clean_name
from broker.token_models import ApiToken
from broker.tokens import hash_token

PREFIX = "lk_"
_TOKEN_BYTES = 32
# `lk_` + 43 characters; anything much longer is not ours and not worth hashing.
_MAX_LENGTH = 64
_TOUCH_EVERY = timedelta(minutes=1)
NAME_MAX = 100


@dataclass(frozen=True)
class TokenRow:
    """What the member sees of a token: never the token."""

    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiToken) -> TokenRow:
        return cls(row.id, row.name, row.created_at, row.last_used_at, row.revoked_at)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class Issued:
    """A new token: `token` is shown to the member once, here, and never again."""

    token: str
    row: TokenRow


def looks_like_token(value: str) -> bool:
    return value.startswith(PREFIX) and len(value) <= _MAX_LENGTH


def issue(session: Session, member: Member, name: str, *, now: datetime | None = None) -> Issued:
    name = clean_name(name, max_length=NAME_MAX)
    token = PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)
    row = ApiToken(
        workspace_id=member.workspace_id,
        member_id=member.id,
        name=name,
        token_hash=hash_token(token),
        created_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        member.workspace_id,
        "api_token.created",
        actor_id=member.id,
        target_type="api_token",
        target_id=row.id,
        name=name,
    )
    return Issued(token, TokenRow.of(row))


def listing(session: Session, member_id: str) -> list[TokenRow]:
    """The member's tokens, live ones first, newest first."""
    rows = session.scalars(
        select(ApiToken)
        .where(ApiToken.member_id == member_id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
    )
    return [TokenRow.of(row) for row in rows]


def revoke(
    session: Session, member: Member, token_id: str, *, now: datetime | None = None
) -> TokenRow:
    """Revoke one of the member's own tokens; someone else's is `NotFound`. Idempotent."""
    row = session.get(ApiToken, token_id)
    if row is None or row.member_id != member.id:
        raise NotFound(f"You have no API token with id {token_id!r}.")
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        audit.record(
            session,
            member.workspace_id,
            "api_token.revoked",
            actor_id=member.id,
            target_type="api_token",
            target_id=row.id,
            name=row.name,
        )
    return TokenRow.of(row)


def revoke_all(session: Session, member_id: str, *, now: datetime | None = None) -> int:
    """Revoke every live token of the member, in the caller's transaction (deactivation)."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.member_id == member_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def resolve(session: Session, token: str, *, now: datetime | None = None) -> Member | None:
    """The active member a live token acts as, or None (unknown, revoked, member inactive).

    Whether the member may still hold tokens at all (a role changed to Login-only) is the
    caller's RBAC check, not this lookup's.
    """
    if not looks_like_token(token):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    member = session.get(Member, row.member_id)
    if member is None or not member.active:
        return None
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at >= _TOUCH_EVERY:
        row.last_used_at = now
    return member
