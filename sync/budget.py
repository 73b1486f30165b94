"""The shared Okta rate-limit budget kept in PostgreSQL (`sync/okta/budget.py` says why).

One row per (token, bucket) (`broker/budget_models.py`): Okta's current window (`reset`, `limit`)
and the calls every worker reserved in it (`used`). Each reservation and each fold is one short
transaction that locks the row (`SELECT … FOR UPDATE`), so workers queue on it for a moment and
never both take the last calls of a window:

- reserve: inside a known window (more than `margin` seconds left, no probe out) grant
  `min(calls, allowance - used)`, where the allowance is the token's share, or Okta's
  `X-Rate-Limit-Limit` when lower; a spent window answers its reset. Past the window, the first
  asker becomes the probe (one call, for the next window) and the others wait for its answer; a
  probe that brings no window back is given up at once, and one whose worker died (or lost its
  database) expires.
- observe: an answer from a later window starts that window (`used` = Okta's count,
  `limit - remaining`); an answer from the current one raises `used` to Okta's count when Okta
  counted more (other integrations on the org, a straggler); a 429 counts as the window spent.

SQLite keeps the in-process limiter (`sync/okta/limiter.py`): one worker per SQLite database, as
for the account locks (`sync/locks.py`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from broker.budget_models import OktaRateBudget
from broker.db import run_transaction
from sync.okta.budget import BudgetUnavailable, Grant
from sync.okta.headers import RateLimitHeaders

_NAMESPACE = b"latchkey.okta.token:"
T = TypeVar("T")


def token_key(domain: str, token: str) -> str:
    """Names the token (on its org) without revealing it."""
    material = _NAMESPACE + domain.rstrip("/").lower().encode() + b"\0" + token.encode()
    return hashlib.sha256(material).hexdigest()


class Budgets:
    """The shared budgets of every token, in one database (PostgreSQL)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def for_token(self, domain: str, token: str) -> TokenBudget:
        return TokenBudget(self._sessions, token_key(domain, token))


class TokenBudget:
    """One token's buckets: a `sync.okta.budget.SharedBudget`."""

    def __init__(self, sessions: sessionmaker[Session], key: str) -> None:
        self._sessions = sessions
        self.key = key

    async def reserve(
        self,
        bucket: str,
        calls: int,
        *,
        allowance: int,
        now: float,
        margin: float,
        probe_for: float,
    ) -> Grant:
        work = partial(
            _reserve,
            key=self.key,
            bucket=bucket,
            calls=calls,
            allowance=allowance,
            now=now,
            margin=margin,
            probe_for=probe_for,
        )
        return await self._run(work)

    async def observe(self, bucket: str, headers: RateLimitHeaders, *, now: float) -> int:
        return await self._run(partial(_observe, key=self.key, bucket=bucket, headers=headers))

    async def abandon_probe(self, bucket: str) -> None:
        await self._run(partial(_abandon_probe, key=self.key, bucket=bucket))

    async def _run(self, work: Callable[[Session], T]) -> T:
        try:
            # In a thread: the event loop never waits on SQL (a cancelled caller waits for the
            # transaction to end: what it reserved is then the limiter's to spend or drop).
            return await anyio.to_thread.run_sync(run_transaction, self._sessions, work)
        except SQLAlchemyError as error:
            raise BudgetUnavailable(_first_line(error)) from error


def _row(session: Session, key: str, bucket: str) -> OktaRateBudget:
    """The row, locked for this transaction (made on first use)."""
    locked = (
        select(OktaRateBudget)
        .where(OktaRateBudget.token_key == key, OktaRateBudget.bucket == bucket)
        .with_for_update()
    )
    row = session.scalars(locked).one_or_none()
    if row is None:
        session.execute(
            insert(OktaRateBudget)
            .values(token_key=key, bucket=bucket, reset=0.0, used=0)
            .on_conflict_do_nothing()
        )
        row = session.scalars(locked.execution_options(populate_existing=True)).one()
    return row


def _reserve(
    session: Session,
    *,
    key: str,
    bucket: str,
    calls: int,
    allowance: int,
    now: float,
    margin: float,
    probe_for: float,
) -> Grant:
    row = _row(session, key, bucket)
    if row.probe_until is not None and now < row.probe_until:
        return Grant(0, None, row.used)  # someone is learning the next window: wait for it
    if row.probe_until is not None or now >= row.reset:
        # The window is over (or none was ever seen), or the probe sent to learn the next one
        # never came back (its worker died, or lost its database): one call learns it. `used`
        # stays the last window's until an answer shows a new one (see `_observe`).
        row.probe_until = now + probe_for
        return Grant(1, None, row.used)
    cap = allowance if row.window_limit is None else min(allowance, row.window_limit)
    if now + margin >= row.reset or row.used >= cap:
        return Grant(0, row.reset, row.used, retry_at=row.reset)
    granted = min(calls, cap - row.used)
    row.used += granted
    return Grant(granted, row.reset, row.used)


def _observe(session: Session, *, key: str, bucket: str, headers: RateLimitHeaders) -> int:
    row = _row(session, key, bucket)
    counted = headers.limit - headers.remaining  # what Okta counted in the answer's window
    if headers.reset > row.reset:
        # The answer of a later window (a probe's, most often): that window starts now, and
        # Okta's count holds the probe already.
        row.reset = headers.reset
        row.used = max(counted, 1)
        row.probe_until = None
    elif headers.reset == row.reset:
        # Still the known window: a probe landed in it (its worker's clock ran ahead of Okta's,
        # which it reads from `Date` only once it has an answer) is done, and counted.
        row.used = max(row.used, counted)
        row.probe_until = None
    else:
        return row.used  # an earlier window's answer: nothing to learn
    row.window_limit = headers.limit
    return row.used


def _abandon_probe(session: Session, *, key: str, bucket: str) -> None:
    row = _row(session, key, bucket)
    if row.probe_until is not None:
        # Expired rather than gone: the next asker probes at once, and the calls probes may
        # have spent in the window nobody knows yet stay counted.
        row.probe_until = 0.0


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
