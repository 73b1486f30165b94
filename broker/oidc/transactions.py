"""Sign-in transactions: the state of one authorization request, kept server-side.

A transaction is created when a sign-in starts and consumed, once, by the callback; it lives at
most ten minutes. It is bound to the browser that started it by a random value in a short-lived
HttpOnly cookie (`latchkey_signin`), so a callback URL captured from another browser cannot sign
this one in (RFC 6749 §10.12, login CSRF). The PKCE code verifier (RFC 7636 §4.1) is derived from
that cookie value and the `state`, so it is never stored: the row holds hashes and the public
nonce only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from broker.models import utcnow
from broker.oidc.errors import TransactionInvalid
from broker.session_models import SignInTransaction
from broker.tokens import hash_token

TRANSACTION_TTL = timedelta(minutes=10)
BINDER_COOKIE = "latchkey_signin"
_MAX_VALUE_LENGTH = 128


@dataclass(frozen=True)
class Started:
    """What the authorization request needs; `binder` goes into the cookie."""

    state: str
    nonce: str
    code_verifier: str
    binder: str


@dataclass(frozen=True)
class Taken:
    """A transaction removed from the store, not yet checked against the browser."""

    state: str
    binder_hash: str
    nonce: str
    return_to: str
    expires_at: datetime


@dataclass(frozen=True)
class Pending:
    """A checked transaction: what the callback needs to finish."""

    nonce: str
    code_verifier: str
    return_to: str


def code_verifier(binder: str, state: str) -> str:
    # 32 bytes of HMAC-SHA256 make 43 base64url characters: RFC 7636 §4.1's minimum length,
    # with 256 bits of entropy.
    digest = hmac.new(binder.encode(), b"pkce:" + state.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _usable(value: str | None) -> bool:
    return bool(value) and len(value or "") <= _MAX_VALUE_LENGTH


def begin(
    db: Session, *, binder: str | None, return_to: str, now: datetime | None = None
) -> Started:
    """Record a new transaction; reuse the browser's binder so parallel sign-ins all finish."""
    now = now or utcnow()
    db.execute(delete(SignInTransaction).where(SignInTransaction.expires_at <= now))
    if not _usable(binder):
        binder = secrets.token_urlsafe(32)
    assert binder is not None
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(24)
    db.add(
        SignInTransaction(
            state_hash=hash_token(state),
            binder_hash=hash_token(binder),
            nonce=nonce,
            return_to=return_to,
            created_at=now,
            expires_at=now + TRANSACTION_TTL,
        )
    )
    db.flush()
    return Started(state, nonce, code_verifier(binder, state), binder)


def take(db: Session, state: str | None) -> Taken | None:
    """Remove the transaction `state` names and return it: whatever happens next, it is used up.

    Commit before checking it (`check`), so a refused callback still spends the state.
    """
    if not _usable(state):
        return None
    assert state is not None
    row = db.scalar(
        select(SignInTransaction).where(SignInTransaction.state_hash == hash_token(state))
    )
    if row is None:
        return None
    deleted = db.execute(
        delete(SignInTransaction)
        .where(SignInTransaction.id == row.id)
        .execution_options(synchronize_session=False)
    )
    if deleted.rowcount != 1:  # type: ignore[attr-defined]
        return None  # another request took it first
    return Taken(state, row.binder_hash, row.nonce, row.return_to, row.expires_at)


def check(taken: Taken | None, binder: str | None, *, now: datetime | None = None) -> Pending:
    if taken is None:
        raise TransactionInvalid("This sign-in link is unknown or was already used.")
    if taken.expires_at <= (now or utcnow()):
        raise TransactionInvalid("This sign-in took too long.", reason="state_expired")
    if not _usable(binder) or not hmac.compare_digest(
        hash_token(binder or "").encode(), taken.binder_hash.encode()
    ):
        raise TransactionInvalid(
            "This sign-in was started in another browser.", reason="state_foreign"
        )
    assert binder is not None
    return Pending(taken.nonce, code_verifier(binder, taken.state), taken.return_to)
