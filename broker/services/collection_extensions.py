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


def _covering(session: Session, account_id: str) -> str | None:
    """An extended collection holding the account, or an ancestor of one holding it (the
    nearest first, then by id, so the answer is stable)."""
    holding = select(CollectionItem.collection_id.label("id"), literal(0).label("depth")).where(
        CollectionItem.account_id == account_id
    )
    tree = holding.cte("covering", recursive=True)
    parent = aliased(Collection)
    tree = tree.union_all(
        select(parent.parent_id, tree.c.depth + 1)
        .join(tree, parent.id == tree.c.id)
        .where(parent.parent_id.is_not(None))
    )
    return session.scalar(
        select(CollectionExtension.collection_id)
        .join(tree, tree.c.id == CollectionExtension.collection_id)
        .order_by(tree.c.depth, CollectionExtension.collection_id)
        .limit(1)
    )


def _feature_on(session: Session, workspace_id: str) -> bool:
    workspace = session.get(Workspace, workspace_id)
    return workspace is not None and workspace.extended_access_enabled


def _extend_through(
    session: Session, account_id: str, record: CollectionExtension, actor_id: str | None
) -> None:
    row = session.get(OktaExtension, account_id)
    if row is None:
        row = OktaExtension(account_id=account_id, workspace_id=record.workspace_id)
        session.add(row)
    # Who extended it is who extended the collection: that Owner's decision brought it in.
    row.extended_by_id = record.extended_by_id
    row.extended_at = utcnow()
    row.through_collection_id = record.collection_id
    row.removal_requested_at = None
    row.sync_state = SyncState.PENDING
    row.last_error = None
    session.flush()
    audit.record(
        session,
        record.workspace_id,
        "okta.extended",
        actor_id=actor_id,
        target_type="account",
        target_id=account_id,
        collection_id=record.collection_id,
    )
    request_sync(session, [account_id], "account extended with its collection")


def _live(row: OktaExtension | None) -> bool:
    return row is not None and row.removal_requested_at is None


def reconcile(
    session: Session, workspace_id: str, account_ids: Iterable[str], *, actor_id: str | None
) -> list[str]:
    """Bring the accounts in step with the extended collections that cover them now; returns the
    ids newly extended."""
    extended: list[str] = []
    feature_on: bool | None = None
    for account_id in dict.fromkeys(account_ids):
        account = session.get(Account, account_id)
        if account is None or account.deleted_at is not None:
            continue
        covering = _covering(session, account_id)
        row = session.get(OktaExtension, account_id)
        if _live(row):
            assert row is not None
            if row.through_collection_id is not None and row.through_collection_id != covering:
                row.through_collection_id = covering  # None: it stays, now on its own
            continue
        if covering is None:
            continue
        if feature_on is None:
            feature_on = _feature_on(session, workspace_id)
        if feature_on:
            record = session.get_one(CollectionExtension, covering)
            _extend_through(session, account_id, record, actor_id)
            extended.append(account_id)
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
    extended = []
    for account_id in session.scalars(live_accounts_beneath(collection.id)).all():
        if not _live(session.get(OktaExtension, account_id)):
            _extend_through(session, account_id, record, actor.id)
            extended.append(account_id)
    return extended


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
    removing: list[str] = []
    kept: list[str] = []
    for account_id in session.scalars(live_accounts_beneath(collection.id)).all():
        row = session.get(OktaExtension, account_id)
        if row is None or not _live(row):
            continue
        if row.through_collection_id is None:
            kept.append(account_id)
            continue
        covering = _covering(session, account_id)
        if covering is not None:
            row.through_collection_id = covering
            kept.append(account_id)
            continue
        row.removal_requested_at = utcnow()
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
