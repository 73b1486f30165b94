"""Broker sessions: server-side rows behind an HttpOnly, SameSite=Lax cookie (DESIGN.md, "Security
model").

The cookie `latchkey_session` carries a random token; the row keeps only its SHA-256, so a copy of
the database opens no session. A session is refused as soon as it expires, is revoked, or its
member is no longer active: SCIM deactivation takes effect on the member's very next request, even
before `revoke_all` runs.

Public helpers:

- `await current_member(request) -> Member | None`: the signed-in, active member of a request (or
  None); `await current_session(request) -> SignedIn | None` adds the session id (grants are bound
  to it). Both read the cookie once per request and cache the answer on `request.state`.
- `revoke_all(db, member_id) -> int`: end every live session of a member, in the caller's
  transaction (SCIM deactivation calls it). `revoke(db, session_id)` ends one (sign-out).
- `open_session(db, member_id, ttl_s=...) -> (token, row)` and `set_session_cookie` /
  `clear_session_cookie`: what the sign-in callback uses.
- `csrf_token(request)` / `csrf_ok(request, submitted)`: a per-session token for HTML forms,
  derived from the session token, so nothing more is stored.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.responses import Response

from broker.context import BrokerContext
from broker.db import Executor, transaction
from broker.models import Member, WorkspaceRole, utcnow
from broker.rbac import MemberFacts
from broker.session_models import BrokerSession
from broker.settings import Settings
from broker.tokens import hash_token, new_token

SESSION_COOKIE = "latchkey_session"
# A token is 43 characters; anything much longer is not ours and is not worth hashing.
_MAX_TOKEN_LENGTH = 128
# `last_seen_at` is written at most this often, so reading a session is not a write per request.
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SignedIn:
    """The live session of a request and its (active) member."""

    session_id: str
    member: Member


@dataclass(frozen=True)
class Principal:
    """A signed-in member's columns, read with Core: what the launch page needs of them."""

    id: str
    workspace_id: str
    email: str
    name: str
    role: WorkspaceRole
    active: bool
    external_id: str | None

    @property
    def facts(self) -> MemberFacts:
        return MemberFacts(self.id, self.role, self.active, self.external_id)


@dataclass(frozen=True)
class SignedInPrincipal:
    """`SignedIn` for the launch page: the live session and its member's columns."""

    session_id: str
    member: Principal


def open_session(
    db: Session, member_id: str, *, ttl_s: int, now: datetime | None = None
) -> tuple[str, BrokerSession]:
    """A new session for the member: (cookie token, row). The token is shown once, here."""
    now = now or utcnow()
    token = new_token()
    row = BrokerSession(
        token_hash=hash_token(token),
        member_id=member_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(seconds=ttl_s),
    )
    db.add(row)
    db.flush()
    return token, row


def resolve(db: Session, token: str | None, *, now: datetime | None = None) -> SignedIn | None:
    """The live session the token opens, or None.

    The lookup is by hash: an attacker choosing the token controls only the hash the database
    compares, which tells them nothing about a real token, so no timing oracle is left.
    """
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    now = now or utcnow()
    # The session and its member in one statement (an outer join: a member gone still ends it).
    found = db.execute(
        select(BrokerSession, Member)
        .outerjoin(Member, Member.id == BrokerSession.member_id)
        .where(BrokerSession.token_hash == hash_token(token))
    ).first()
    if found is None:
        return None
    row, member = found
    if row.revoked_at is not None or row.expires_at <= now:
        return None
    if member is None or not member.active:
        # Deactivated (SCIM): refused now, and the row is ended so it never comes back.
        row.revoked_at = now
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
    return SignedIn(row.id, member)


_SESSIONS = cast(Table, BrokerSession.__table__)
_MEMBERS = cast(Table, Member.__table__)
# Built once (the launch page reads a session on every launch): the session and its member in one
# statement, an outer join so that a member gone still ends the session.
_LOOKUP = (
    select(
        _SESSIONS.c.id,
        _SESSIONS.c.expires_at,
        _SESSIONS.c.revoked_at,
        _SESSIONS.c.last_seen_at,
        _MEMBERS.c.id.label("member_id"),
        _MEMBERS.c.workspace_id,
        _MEMBERS.c.email,
        _MEMBERS.c.name,
        _MEMBERS.c.role,
        _MEMBERS.c.active,
        _MEMBERS.c.external_id,
    )
    .select_from(_SESSIONS.outerjoin(_MEMBERS, _MEMBERS.c.id == _SESSIONS.c.member_id))
    .where(_SESSIONS.c.token_hash == bindparam("digest"))
)
_END = (
    update(_SESSIONS).where(_SESSIONS.c.id == bindparam("sid")).values(revoked_at=bindparam("at"))
)
_TOUCH = (
    update(_SESSIONS).where(_SESSIONS.c.id == bindparam("sid")).values(last_seen_at=bindparam("at"))
)


def resolve_principal(
    db: Executor, token: str | None, *, now: datetime | None = None
) -> SignedInPrincipal | None:
    """`resolve` with Core statements and no ORM rows: the same rules (expired, revoked, member
    gone or deactivated: None, and a deactivated member's session is ended), one SELECT, and a
    write only to end a session or when `last_seen_at` is over a minute old."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    now = now or utcnow()
    row: Any = db.execute(_LOOKUP, {"digest": hash_token(token)}).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if row.member_id is None or not row.active:
        db.execute(_END, {"sid": row.id, "at": now})
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        db.execute(_TOUCH, {"sid": row.id, "at": now})
    member = Principal(
        row.member_id,
        row.workspace_id,
        row.email,
        row.name,
        WorkspaceRole(row.role),
        bool(row.active),
        row.external_id,
    )
    return SignedInPrincipal(row.id, member)


def revoke(db: Session, session_id: str, *, now: datetime | None = None) -> bool:
    """End one session (sign-out); False when it was not live."""
    result = db.execute(
        update(BrokerSession)
        .where(BrokerSession.id == session_id, BrokerSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def revoke_all(db: Session, member_id: str, *, now: datetime | None = None) -> int:
    """End every live session of the member, in the caller's transaction; how many ended."""
    result = db.execute(
        update(BrokerSession)
        .where(BrokerSession.member_id == member_id, BrokerSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- requests ----------------------------------------------------------------------------------


def _context(conn: HTTPConnection) -> BrokerContext:
    ctx = conn.app.state.ctx
    assert isinstance(ctx, BrokerContext)
    return ctx


def cookie_token(conn: HTTPConnection) -> str | None:
    return conn.cookies.get(SESSION_COOKIE)


def _resolve_in_transaction(ctx: BrokerContext, token: str) -> SignedIn | None:
    with transaction(ctx.sessions) as db:
        return resolve(db, token)


async def current_session(conn: HTTPConnection) -> SignedIn | None:
    """The request's live session, read once per request."""
    if hasattr(conn.state, "latchkey_signed_in"):
        cached: SignedIn | None = conn.state.latchkey_signed_in
        return cached
    token = cookie_token(conn)
    found = None
    if token:
        found = await run_in_threadpool(_resolve_in_transaction, _context(conn), token)
    conn.state.latchkey_signed_in = found
    return found


async def current_member(conn: HTTPConnection) -> Member | None:
    """The signed-in, active member of the request, or None."""
    found = await current_session(conn)
    return None if found is None else found.member


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_ttl_s,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.secure_cookies
    )


def csrf_token(conn: HTTPConnection) -> str:
    """The form token of the request's session ("" without a session cookie)."""
    token = cookie_token(conn)
    if not token:
        return ""
    return hmac.new(token.encode(), b"latchkey csrf v1", hashlib.sha256).hexdigest()


def csrf_ok(conn: HTTPConnection, submitted: str | None) -> bool:
    expected = csrf_token(conn)
    return bool(expected and submitted) and hmac.compare_digest(expected, submitted or "")
