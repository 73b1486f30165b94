"""Claiming due accounts from the sync outbox, and settling them once synced.

A claim is one statement that pushes the rows' `due_at` a lease ahead and returns them, so a
worker that dies mid-sync leaves its accounts due again when the lease ends. On PostgreSQL the
rows are picked with `FOR UPDATE SKIP LOCKED`: several workers (and broker replicas) claim
disjoint batches without waiting on each other. On SQLite the single `UPDATE … RETURNING` is
atomic under SQLite's one writer, which is what makes the claim correct there.

Settling compares the `version` seen at the claim: a change committed while the account was
syncing bumped it (and made the row due now), so the row stays for the next round.
Workspaces whose Okta token was refused, or that have no domain or token, are not claimed:
their rows wait until the token is fixed.

The lease is short (seconds, not minutes) and a live worker renews it while it syncs (`renew`,
its heartbeat): a worker that dies leaves its accounts due again soon.

Rows are always touched in the order of their account ids, here and in `broker/outbox.py`: two
transactions that change several rows then take their locks in one order and cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.orm import Session

from broker.models import OktaExtension, SyncOutbox, TokenStatus, Workspace, utcnow


@dataclass(frozen=True)
class Claim:
    account_id: str
    workspace_id: str
    version: int
    attempts: int


def claim_due(
    session: Session,
    *,
    limit: int = 100,
    lease: timedelta = timedelta(seconds=60),
    now: datetime | None = None,
    account_ids: Collection[str] | None = None,
    workspace_id: str | None = None,
) -> list[Claim]:
    """Claim up to `limit` due rows (only those of `account_ids` or `workspace_id`, if given)."""
    now = now or utcnow()
    syncable = select(Workspace.id).where(
        Workspace.okta_domain.is_not(None),
        Workspace.okta_token_secret_id.is_not(None),
        Workspace.okta_token_status != TokenStatus.INVALID,
    )
    pick = (
        select(SyncOutbox.account_id)
        .where(SyncOutbox.due_at <= now, SyncOutbox.workspace_id.in_(syncable))
        .order_by(SyncOutbox.due_at, SyncOutbox.account_id)
        .limit(limit)
    )
    if account_ids is not None:
        pick = pick.where(SyncOutbox.account_id.in_(list(account_ids)))
    if workspace_id is not None:
        pick = pick.where(SyncOutbox.workspace_id == workspace_id)
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    claimed = session.execute(
        update(SyncOutbox)
        .where(SyncOutbox.account_id.in_(pick.scalar_subquery()), SyncOutbox.due_at <= now)
        .values(due_at=now + lease)
        .returning(
            SyncOutbox.account_id,
            SyncOutbox.workspace_id,
            SyncOutbox.version,
            SyncOutbox.attempts,
        )
        .execution_options(synchronize_session=False)
    ).all()
    return [Claim(*row) for row in claimed]


def extended_ids(session: Session, workspace_id: str) -> set[str]:
    """Every extended account of the workspace (what a full pass goes through)."""
    return set(
        session.scalars(
            select(OktaExtension.account_id).where(OktaExtension.workspace_id == workspace_id)
        )
    )


def leased_elsewhere(
    session: Session, workspace_id: str, mine: Collection[str], now: datetime | None = None
) -> set[str]:
    """Accounts whose row is not due yet and not claimed by the caller: under another
    worker's lease (or waiting out a backoff)."""
    rows = session.scalars(
        select(SyncOutbox.account_id).where(
            SyncOutbox.workspace_id == workspace_id, SyncOutbox.due_at > (now or utcnow())
        )
    )
    return {account_id for account_id in rows if account_id not in mine}


def settle(session: Session, claim: Claim) -> bool:
    """Done with this change: delete the row unless a newer change arrived meanwhile."""
    result = session.execute(
        delete(SyncOutbox)
        .where(SyncOutbox.account_id == claim.account_id, SyncOutbox.version == claim.version)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def retry_at(session: Session, claim: Claim, due_at: datetime, *, count: bool = True) -> None:
    """Try again at `due_at` (a newer change, already due now, wins). `count`: one more attempt."""
    values: dict[str, object] = {"due_at": due_at}
    if count:
        values["attempts"] = SyncOutbox.attempts + 1
    session.execute(
        update(SyncOutbox)
        .where(SyncOutbox.account_id == claim.account_id, SyncOutbox.version == claim.version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def renew(session: Session, claims: Collection[Claim], until: datetime) -> int:
    """Push the lease of rows still as claimed to `until` (never sooner); how many were."""
    if not claims:
        return 0
    result = session.execute(
        update(SyncOutbox)
        .where(
            tuple_(SyncOutbox.account_id, SyncOutbox.version).in_(
                sorted((c.account_id, c.version) for c in claims)
            ),
            SyncOutbox.due_at < until,
        )
        .values(due_at=until)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


def backoff(attempts: int, *, base: float = 2.0, cap: float = 600.0) -> timedelta:
    """Exponential backoff for a temporary error that names no reset time."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts)))


def claim_workspace(session: Session, *, workspace_id: str, lease: timedelta) -> list[Claim]:
    """Every due row of the workspace (a full pass)."""
    return claim_due(session, limit=1_000_000, lease=lease, workspace_id=workspace_id)


def syncable_workspaces(session: Session) -> tuple[list[str], int]:
    """Workspaces a full pass goes through, and how many extended accounts they hold."""
    ids = list(
        session.scalars(
            select(Workspace.id).where(
                Workspace.okta_domain.is_not(None),
                Workspace.okta_token_secret_id.is_not(None),
                Workspace.okta_token_status != TokenStatus.INVALID,
            )
        )
    )
    total = session.scalar(
        select(func.count()).select_from(OktaExtension).where(OktaExtension.workspace_id.in_(ids))
    )
    return ids, total or 0
