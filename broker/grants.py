"""Launch grants: what the launch page hands the extension, redeemed once for the login.

A grant is a random token (256 bits) stored only as its SHA-256 digest, bound to the member, the
account and the broker session the launch page ran in, valid for `GRANT_TTL` and redeemable once.
Redemption is a single conditional UPDATE, so of two concurrent redemptions exactly one matches
the row on either engine (PostgreSQL re-evaluates the WHERE clause after the winner commits;
SQLite serialises writers); a refused redemption changes nothing.

    GrantError              the grant cannot be redeemed (wire code `invalid_grant`)
    ├── UnknownGrant        no grant has this token
    ├── ExpiredGrant        older than `GRANT_TTL`
    ├── UsedGrant           already redeemed
    └── ForeignGrant        issued to another member
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from broker.db import new_id
from broker.errors import NotFound
from broker.ext_tables import LaunchGrant
from broker.models import Account, Member, utcnow
from broker.tokens import hash_token, new_token

GRANT_TTL = timedelta(seconds=60)


class GrantError(Exception):
    code = "invalid_grant"
    reason = "invalid"

    def __init__(self, message: str, *, grant: LaunchGrant | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.grant_id = grant.id if grant is not None else None
        self.account_id = grant.account_id if grant is not None else None


class UnknownGrant(GrantError):
    reason = "unknown"


class ExpiredGrant(GrantError):
    reason = "expired"


class UsedGrant(GrantError):
    reason = "used"


class ForeignGrant(GrantError):
    reason = "foreign"


@dataclass(frozen=True)
class RedeemedGrant:
    id: str
    workspace_id: str
    member_id: str
    account_id: str
    session_id: str


def issue_grant(
    db_session: Session,
    *,
    member_id: str,
    account_id: str,
    session_id: str,
    now: datetime | None = None,
) -> str:
    """A new grant for the launch page; the caller has already asked `rbac.decide_launch`."""
    member = db_session.get(Member, member_id)
    account = db_session.get(Account, account_id)
    if member is None or account is None or account.workspace_id != member.workspace_id:
        raise NotFound("No such member or account in this workspace.")
    if not session_id:
        raise ValueError("a grant is bound to a broker session")
    issued = now or utcnow()
    token = new_token()
    # A Core INSERT: every launch makes one, and it needs no ORM object or unit-of-work flush.
    db_session.execute(
        insert(LaunchGrant).values(
            id=new_id(),
            token_hash=hash_token(token),
            workspace_id=member.workspace_id,
            member_id=member_id,
            account_id=account_id,
            session_id=session_id,
            created_at=issued,
            expires_at=issued + GRANT_TTL,
        )
    )
    return token


def redeem_grant(
    db_session: Session,
    token: str,
    *,
    member_id: str,
    redeemed_by_id: str | None = None,
    now: datetime | None = None,
) -> RedeemedGrant:
    """Spend the grant for `member_id`, or raise a `GrantError` and change nothing.

    The UPDATE is the transaction's first statement on purpose: on SQLite a transaction that has
    read first cannot always upgrade to a writer, while one that writes first simply queues.
    """
    at = now or utcnow()
    digest = hash_token(token)
    # RETURNING hands back the spent row: no read after the write when it succeeds.
    spent = db_session.execute(
        update(LaunchGrant)
        .where(
            LaunchGrant.token_hash == digest,
            LaunchGrant.member_id == member_id,
            LaunchGrant.redeemed_at.is_(None),
            LaunchGrant.expires_at > at,
        )
        .values(redeemed_at=at, redeemed_by_id=redeemed_by_id)
        .returning(
            LaunchGrant.id,
            LaunchGrant.workspace_id,
            LaunchGrant.member_id,
            LaunchGrant.account_id,
            LaunchGrant.session_id,
        )
        .execution_options(synchronize_session=False)
    ).first()
    if spent is not None:
        return RedeemedGrant(*spent)
    # Refused: read the row only now, to say why.
    grant = db_session.scalar(
        select(LaunchGrant)
        .where(LaunchGrant.token_hash == digest)
        .execution_options(populate_existing=True)
    )
    if grant is None or not hmac.compare_digest(grant.token_hash, digest):
        raise UnknownGrant("The grant is not valid.")
    raise _why_not(grant, member_id, at)


def _why_not(grant: LaunchGrant, member_id: str, at: datetime) -> GrantError:
    if grant.member_id != member_id:
        return ForeignGrant("The grant was issued to someone else.", grant=grant)
    if grant.redeemed_at is not None:
        return UsedGrant("The grant has already been used.", grant=grant)
    if grant.expires_at <= at:
        return ExpiredGrant("The grant has expired.", grant=grant)
    # Unreachable unless a concurrent redemption committed between the UPDATE and the SELECT.
    return UsedGrant("The grant has already been used.", grant=grant)
