"""The sync outbox: which extended accounts may need their Okta state brought in step.

Services call `request_sync` in the same transaction as the change that caused it, so the outbox
never misses a change and never holds one that was rolled back. Rows are keyed by account and
coalesced: ten share changes on one account make one row, with its `version` bumped each time so a
worker can tell whether something changed while it was syncing.

Rows are written in the order of their account ids (as the worker touches them, `sync/claims.py`):
two transactions that queue overlapping sets of accounts then lock them in one order, and the
database never has to break a deadlock between them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select, union
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from broker.models import (
    Account,
    Collection,
    CollectionItem,
    OktaExtension,
    Share,
    SyncOutbox,
    TeamMembership,
    utcnow,
)


def collection_subtree(roots: Iterable[str] | Select[Any]) -> Select[Any]:
    """The collections given and all their descendants."""
    ids = roots if isinstance(roots, Select) else list(roots)
    tree = (
        select(Collection.id.label("id"))
        .where(Collection.id.in_(ids))
        .cte("subtree", recursive=True)
    )
    child = aliased(Collection)
    tree = tree.union(select(child.id).join(tree, child.parent_id == tree.c.id))
    return select(tree.c.id)


def accounts_in_collections(roots: Iterable[str] | Select[Any]) -> Select[Any]:
    return select(CollectionItem.account_id).where(
        CollectionItem.collection_id.in_(collection_subtree(roots))
    )


def _accounts_shared_with(subject: ColumnElement[bool]) -> Select[Any]:
    direct: Select[Any] = select(Share.account_id).where(subject, Share.account_id.is_not(None))
    collections: Select[Any] = select(Share.collection_id).where(
        subject, Share.collection_id.is_not(None)
    )
    return select(union(direct, accounts_in_collections(collections)).subquery().c[0])


def accounts_reached_by_team(team_id: str) -> Select[Any]:
    return _accounts_shared_with(Share.team_id == team_id)


def accounts_reached_by_member(member_id: str) -> Select[Any]:
    teams = select(TeamMembership.team_id).where(TeamMembership.member_id == member_id)
    return _accounts_shared_with((Share.member_id == member_id) | Share.team_id.in_(teams))


def request_sync(
    session: Session,
    account_ids: Iterable[str] | Select[Any],
    reason: str,
    *,
    due_at: datetime | None = None,
) -> int:
    """Queue the extended accounts among `account_ids`; returns how many were queued."""
    ids = account_ids if isinstance(account_ids, Select) else list(account_ids)
    rows = session.execute(
        select(OktaExtension.account_id, OktaExtension.workspace_id)
        .where(OktaExtension.account_id.in_(ids))
        .order_by(OktaExtension.account_id)
    ).all()
    now = utcnow()
    for account_id, workspace_id in rows:
        _upsert(session, account_id, workspace_id, reason, due_at or now)
    return len(rows)


def _upsert(
    session: Session, account_id: str, workspace_id: str, reason: str, due_at: datetime
) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {
        "account_id": account_id,
        "workspace_id": workspace_id,
        "reason": reason[:200],
        "enqueued_at": utcnow(),
        "due_at": due_at,
        "attempts": 0,
        "version": 1,
    }
    stmt = insert(SyncOutbox).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[SyncOutbox.account_id],
        set_={
            "reason": stmt.excluded.reason,
            "enqueued_at": stmt.excluded.enqueued_at,
            "due_at": stmt.excluded.due_at,
            "attempts": 0,
            "version": SyncOutbox.version + 1,
        },
    )
    session.execute(stmt)


def live_account_ids(workspace_id: str) -> Select[Any]:
    return select(Account.id).where(
        Account.workspace_id == workspace_id, Account.deleted_at.is_(None)
    )
