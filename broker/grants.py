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
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from broker.db import Executor, new_id
from broker.errors import NotFound
from broker.ext_tables import LaunchGrant
from broker.models import Account, Member, utcnow
from broker.session_models import BrokerSession
from broker.tokens import hash_token, new_token

GRANT_TTL = timedelta(seconds=60)


class _Named(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def account_id(self) -> str: ...


class GrantError(Exception):
    code = "invalid_grant"
    reason = "invalid"

    def __init__(self, message: str, *, grant: _Named | None = None) -> None:
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


# Core statements on the table, built once: every launch issues a grant and redeems it, and
# building a statement per call costs more than running it.
_GRANTS = cast(Table, LaunchGrant.__table__)
_SESSIONS = cast(Table, BrokerSession.__table__)
_INSERT = insert(_GRANTS)
_FIND = (
    select(
        _GRANTS.c.id,
        _GRANTS.c.token_hash,
        _GRANTS.c.workspace_id,
        _GRANTS.c.member_id,
        _GRANTS.c.account_id,
        _GRANTS.c.session_id,
        _GRANTS.c.expires_at,
        _GRANTS.c.redeemed_at,
        # The broker session it is bound to, in the same statement (an outer join: a session gone
        # reads as NULLs): a grant dies with the sign-in it was made in.
        _SESSIONS.c.member_id.label("session_member_id"),
        _SESSIONS.c.revoked_at.label("session_revoked_at"),
        _SESSIONS.c.expires_at.label("session_expires_at"),
    )
    .select_from(_GRANTS.outerjoin(_SESSIONS, _SESSIONS.c.id == _GRANTS.c.session_id))
    .where(_GRANTS.c.token_hash == bindparam("digest"))
)
# The single-use gate: of two redemptions of one grant, exactly one matches the row.
_SPEND = (
    update(_GRANTS)
    .where(
        _GRANTS.c.id == bindparam("grant_id"),
        _GRANTS.c.member_id == bindparam("holder_id"),
        _GRANTS.c.redeemed_at.is_(None),
        _GRANTS.c.expires_at > bindparam("at"),
    )
    .values(redeemed_at=bindparam("at"), redeemed_by_id=bindparam("by"))
    # RETURNING rather than rowcount, on both engines: the row matched is the grant spent.
    .returning(_GRANTS.c.id)
)


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
    return insert_grant(
        db_session,
        workspace_id=member.workspace_id,
        member_id=member_id,
        account_id=account_id,
        session_id=session_id,
        now=now,
    )


def insert_grant(
    db_session: Executor,
    *,
    workspace_id: str,
    member_id: str,
    account_id: str,
    session_id: str,
    now: datetime | None = None,
) -> str:
    """`issue_grant` for a caller that has read the member and the account itself (the launch page
    found both live in `workspace_id` and RBAC said yes): one INSERT, nothing read."""
    if not session_id:
        raise ValueError("a grant is bound to a broker session")
    issued = now or utcnow()
    token = new_token()
    db_session.execute(
        _INSERT,
        {
            "id": new_id(),
            "token_hash": hash_token(token),
            "workspace_id": workspace_id,
            "member_id": member_id,
            "account_id": account_id,
            "session_id": session_id,
            "created_at": issued,
            "expires_at": issued + GRANT_TTL,
            "redeemed_at": None,
            "redeemed_by_id": None,
        },
    )
    return token


def find_grant(db_session: Executor, token: str) -> Any | None:
    """The grant row the token names (compared in constant time after the lookup by digest)."""
    digest = hash_token(token)
    row = db_session.execute(_FIND, {"digest": digest}).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return row


def refusal(grant: Any | None, member_id: str, at: datetime) -> GrantError | None:
    """Why `member_id` may not redeem this grant row at `at`, or None when they may."""
    if grant is None:
        return UnknownGrant("The grant is not valid.")
    if grant.member_id != member_id:
        return ForeignGrant("The grant was issued to someone else.", grant=grant)
    if grant.redeemed_at is not None:
        return UsedGrant("The grant has already been used.", grant=grant)
    if grant.expires_at <= at:
        return ExpiredGrant("The grant has expired.", grant=grant)
    return None


def session_live(grant: Any, at: datetime) -> bool:
    """Whether the broker session a `find_grant` row is bound to is still on, for its member."""
    return (
        grant.session_member_id == grant.member_id
        and grant.session_revoked_at is None
        and grant.session_expires_at is not None
        and grant.session_expires_at > at
    )


def spend_grant(
    db_session: Executor, grant: Any, *, redeemed_by_id: str | None, at: datetime
) -> None:
    """Spend a grant `refusal` found redeemable; `UsedGrant` when a concurrent redemption got it
    first (the conditional UPDATE matched nothing, so nothing changed)."""
    spent = db_session.execute(
        _SPEND,
        {"grant_id": grant.id, "holder_id": grant.member_id, "at": at, "by": redeemed_by_id},
    ).first()
    if spent is None:
        raise UsedGrant("The grant has already been used.", grant=grant)


def redeem_grant(
    db_session: Executor,
    token: str,
    *,
    member_id: str,
    redeemed_by_id: str | None = None,
    now: datetime | None = None,
) -> RedeemedGrant:
    """Spend the grant for `member_id`, or raise a `GrantError` and change nothing.

    The row is read, checked, and spent by a conditional UPDATE: of two concurrent redemptions
    exactly one matches it (PostgreSQL re-evaluates the WHERE clause after the winner commits;
    SQLite serialises writers). A caller with more to check between the read and the spend (the
    extension API's redemption) uses `find_grant`, `refusal` and `spend_grant` itself."""
    at = now or utcnow()
    grant = find_grant(db_session, token)
    refused = refusal(grant, member_id, at)
    if refused is not None:
        raise refused
    assert grant is not None
    spend_grant(db_session, grant, redeemed_by_id=redeemed_by_id, at=at)
    return RedeemedGrant(
        grant.id, grant.workspace_id, grant.member_id, grant.account_id, grant.session_id
    )
