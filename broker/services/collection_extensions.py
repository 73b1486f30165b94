"""Extending a whole collection to Okta, and keeping its accounts extended as they come and go.

A collection extension (`CollectionExtension`) is a standing decision of a collection Owner: every
account in the collection or beneath it is extended, each with its own `OktaExtension` row and
outbox row, so sync sees nothing new. Each such row remembers the extended collection that
brought it (`through_collection_id`); a row extended on its own has none.

`reconcile` keeps that true after any change to where accounts sit (an account added, a
sub-collection moved in or out, a collection deleted):
- an account now under an extended collection and not in Okta is extended through it (only while
  the workspace's switch is on: turning the feature off stops extending);
- an account extended through a collection follows the extended collection that covers it now,
  or, when none does, stays extended on its own: leaving a collection never takes a chiclet
  away by surprise (its Owner removes it from Okta on the account page).

*Remove from Okta* on a collection drops the record and removes from Okta every account beneath
it that only that collection kept there; an account extended on its own, or covered by another
extended collection (a sub-collection extended itself, or another collection holding it), stays.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, literal, select
from sqlalchemy.orm import Session, aliased

from broker import audit, rbac
from broker.errors import NotFound, PermissionDenied
from broker.models import (
    Account,
    Collection,
    CollectionExtension,
    CollectionItem,
    Member,
    OktaExtension,
    SyncState,
    Workspace,
    utcnow,
)
from broker.outbox import accounts_in_collections, request_sync
from broker.services._lookup import get


def live_accounts_beneath(collection_id: str) -> Select[Any]:
    """Ids of the live accounts in the collection or any collection beneath it."""
    return select(Account.id).where(
        Account.id.in_(accounts_in_collections([collection_id])), Account.deleted_at.is_(None)
    )


def _covering(session: Session, account_ids: Sequence[str]) -> dict[str, str]:
    """For each account held (directly or through an ancestor) by an extended collection, the
    nearest such collection (then by id, so the answer is stable). One statement for them all."""
    if not account_ids:
        return {}
    holding = select(
        CollectionItem.account_id.label("account_id"),
        CollectionItem.collection_id.label("id"),
        literal(0).label("depth"),
    ).where(CollectionItem.account_id.in_(account_ids))
    tree = holding.cte("covering", recursive=True)
    parent = aliased(Collection)
    tree = tree.union_all(
        select(tree.c.account_id, parent.parent_id, tree.c.depth + 1)
        .join(tree, parent.id == tree.c.id)
        .where(parent.parent_id.is_not(None))
    )
    found: dict[str, tuple[int, str]] = {}
    for account_id, collection_id, depth in session.execute(
        select(tree.c.account_id, CollectionExtension.collection_id, tree.c.depth).join(
            CollectionExtension, CollectionExtension.collection_id == tree.c.id
        )
    ):
        best = found.get(account_id)
        if best is None or (depth, collection_id) < best:
            found[account_id] = (depth, collection_id)
    return {account_id: collection_id for account_id, (_d, collection_id) in found.items()}


def _feature_on(session: Session, workspace_id: str) -> bool:
    workspace = session.get(Workspace, workspace_id)
    return workspace is not None and workspace.extended_access_enabled


def _rows(session: Session, account_ids: Sequence[str]) -> dict[str, OktaExtension]:
    if not account_ids:
        return {}
    return {
        row.account_id: row
        for row in session.scalars(
            select(OktaExtension).where(OktaExtension.account_id.in_(account_ids))
        )
    }


def _live(row: OktaExtension | None) -> bool:
    return row is not None and row.removal_requested_at is None


def _extend_through(
    session: Session,
    account_ids: Sequence[str],
    record: CollectionExtension,
    rows: dict[str, OktaExtension],
    actor_id: str | None,
) -> None:
    """Extend the accounts through the extended collection `record`: a row each, an audit
    event each, and their outbox rows."""
    now = utcnow()
    for account_id in account_ids:
        row = rows.get(account_id)
        if row is None:
            row = OktaExtension(account_id=account_id, workspace_id=record.workspace_id)
            session.add(row)
            rows[account_id] = row
        # Who extended it is who extended the collection: that Owner's decision brought it in.
        row.extended_by_id = record.extended_by_id
        row.extended_at = now
        row.through_collection_id = record.collection_id
        row.removal_requested_at = None
        row.sync_state = SyncState.PENDING
        row.last_error = None
        audit.record(
            session,
            record.workspace_id,
            "okta.extended",
            actor_id=actor_id,
            target_type="account",
            target_id=account_id,
            collection_id=record.collection_id,
        )
    session.flush()
    request_sync(session, account_ids, "account extended with its collection")


def _live_ids(session: Session, account_ids: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(account_ids))
    if not wanted:
        return []
    alive = set(
        session.scalars(
            select(Account.id).where(Account.id.in_(wanted), Account.deleted_at.is_(None))
        )
    )
    return [a for a in wanted if a in alive]


def reconcile(
    session: Session, workspace_id: str, account_ids: Iterable[str], *, actor_id: str | None
) -> list[str]:
    """Bring the accounts in step with the extended collections that cover them now; returns the
    ids newly extended."""
    ids = _live_ids(session, account_ids)
    covering = _covering(session, ids)
    rows = _rows(session, ids)
    waiting: dict[str, list[str]] = {}
    for account_id in ids:
        row = rows.get(account_id)
        if _live(row):
            assert row is not None
            now_through = covering.get(account_id)
            if row.through_collection_id is not None and row.through_collection_id != now_through:
                row.through_collection_id = now_through  # None: it stays, now on its own
        elif account_id in covering:
            waiting.setdefault(covering[account_id], []).append(account_id)
    extended: list[str] = []
    if waiting and _feature_on(session, workspace_id):
        for collection_id, batch in waiting.items():
            record = session.get_one(CollectionExtension, collection_id)
            _extend_through(session, batch, record, rows, actor_id)
            extended.extend(batch)
    session.flush()
    return extended


def extend_collection(session: Session, actor: Member, collection_id: str) -> list[str]:
    """*Extend collection*: record it and extend every account beneath it not yet in Okta.

    Run again on an extended collection, it extends the accounts that are not in Okta (removed
    one by one from their pages, or added while the feature was off). Returns those ids.
    """
    collection = get(session, Collection, actor.workspace_id, collection_id)
    if not rbac.can_extend_collection(session, actor, collection.id):
        raise PermissionDenied(
            "Only an Owner of this collection, provisioned from Okta, can extend it."
        )
    record = session.get(CollectionExtension, collection.id)
    if record is None:
        record = CollectionExtension(
            collection_id=collection.id,
            workspace_id=collection.workspace_id,
            extended_by_id=actor.id,
        )
        session.add(record)
        session.flush()
        audit.record(
            session,
            collection.workspace_id,
            "okta.collection_extended",
            actor_id=actor.id,
            target_type="collection",
            target_id=collection.id,
        )
    beneath = list(session.scalars(live_accounts_beneath(collection.id)))
    rows = _rows(session, beneath)
    missing = [a for a in beneath if not _live(rows.get(a))]
    if missing:
        _extend_through(session, missing, record, rows, actor.id)
    return missing


@dataclass(frozen=True)
class Removal:
    removing: list[str]  # accounts whose Okta app is being deleted
    kept: list[str]  # extended accounts beneath that stay in Okta (on their own or covered)


def remove_collection(session: Session, actor: Member, collection_id: str) -> Removal:
    """*Remove from Okta* for a collection (see the module's docstring for what stays)."""
    collection = get(session, Collection, actor.workspace_id, collection_id)
    record = session.get(CollectionExtension, collection.id)
    if record is None:
        raise NotFound("This collection is not extended to Okta.")
    if not rbac.can_remove_collection_from_okta(session, actor, collection.id):
        raise PermissionDenied("Only an Owner of this collection can remove it from Okta.")
    session.delete(record)
    session.flush()
    audit.record(
        session,
        collection.workspace_id,
        "okta.collection_removal_requested",
        actor_id=actor.id,
        target_type="collection",
        target_id=collection.id,
    )
    beneath = list(session.scalars(live_accounts_beneath(collection.id)))
    rows = _rows(session, beneath)
    covering = _covering(session, beneath)
    removing: list[str] = []
    kept: list[str] = []
    now = utcnow()
    for account_id in beneath:
        row = rows.get(account_id)
        if row is None or not _live(row):
            continue
        if row.through_collection_id is None:
            kept.append(account_id)
        elif account_id in covering:
            row.through_collection_id = covering[account_id]
            kept.append(account_id)
        else:
            row.removal_requested_at = now
            row.sync_state = SyncState.REMOVING
            audit.record(
                session,
                collection.workspace_id,
                "okta.removal_requested",
                actor_id=actor.id,
                target_type="account",
                target_id=account_id,
                collection_id=collection.id,
            )
            removing.append(account_id)
    session.flush()
    request_sync(session, removing, "collection removed from Okta")
    return Removal(removing, kept)


def sync_collection(session: Session, actor: Member, collection_id: str) -> list[str]:
    """*Sync collection manually*: queue every extended account beneath it."""
    collection = get(session, Collection, actor.workspace_id, collection_id)
    if not rbac.can_extend_collection(session, actor, collection.id):
        raise PermissionDenied("Only an Owner of this collection can sync it.")
    ids: Sequence[str] = session.scalars(
        select(OktaExtension.account_id).where(
            OktaExtension.account_id.in_(live_accounts_beneath(collection.id)),
            OktaExtension.removal_requested_at.is_(None),
        )
    ).all()
    request_sync(session, ids, "collection synced manually")
    return list(ids)
