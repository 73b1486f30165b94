"""Collections: nested folders of accounts; a share on one reaches everything beneath it."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from broker import audit
from broker.errors import Conflict, InvalidInput
from broker.models import Account, Collection, CollectionItem
from broker.outbox import accounts_in_collections, collection_subtree, request_sync
from broker.services import collection_extensions
from broker.services._lookup import clean_name, get


def _check_name_free(
    session: Session, workspace_id: str, parent_id: str | None, name: str, own_id: str | None
) -> None:
    same_parent = (
        Collection.parent_id.is_(None) if parent_id is None else Collection.parent_id == parent_id
    )
    holder = session.scalar(
        select(Collection.id).where(
            Collection.workspace_id == workspace_id, same_parent, Collection.name == name
        )
    )
    if holder is not None and holder != own_id:
        raise Conflict(f"A collection named {name!r} already exists here.", field="name")


def create_collection(
    session: Session,
    workspace_id: str,
    name: str,
    *,
    parent_id: str | None = None,
    actor_id: str | None = None,
) -> Collection:
    name = clean_name(name)
    if parent_id is not None:
        parent_id = get(session, Collection, workspace_id, parent_id).id
    _check_name_free(session, workspace_id, parent_id, name, None)
    collection = Collection(workspace_id=workspace_id, name=name, parent_id=parent_id)
    session.add(collection)
    session.flush()
    audit.record(
        session,
        workspace_id,
        "collection.created",
        actor_id=actor_id,
        target_type="collection",
        target_id=collection.id,
        parent_id=parent_id,
    )
    return collection


def move_collection(
    session: Session,
    workspace_id: str,
    collection_id: str,
    parent_id: str | None,
    *,
    actor_id: str | None = None,
) -> Collection:
    """Put a collection under another (or at the top); refuses to make a cycle."""
    collection = get(session, Collection, workspace_id, collection_id)
    if parent_id is not None:
        parent_id = get(session, Collection, workspace_id, parent_id).id
        if parent_id in set(session.scalars(collection_subtree([collection.id]))):
            raise InvalidInput(
                "A collection cannot be moved inside itself or one of its descendants.",
                field="parent_id",
            )
    _check_name_free(session, workspace_id, parent_id, collection.name, collection.id)
    # Accounts beneath lose the old ancestors' shares and gain the new ones': queue both sides.
    request_sync(session, accounts_in_collections([collection.id]), "collection moved")
    collection.parent_id = parent_id
    session.flush()
    # Moved in under an extended collection, they are extended too (or follow it out).
    beneath = session.scalars(collection_extensions.live_accounts_beneath(collection.id)).all()
    collection_extensions.reconcile(session, workspace_id, beneath, actor_id=actor_id)
    audit.record(
        session,
        workspace_id,
        "collection.moved",
        actor_id=actor_id,
        target_type="collection",
        target_id=collection.id,
        parent_id=parent_id,
    )
    return collection


def rename_collection(
    session: Session,
    workspace_id: str,
    collection_id: str,
    name: str,
    *,
    actor_id: str | None = None,
) -> Collection:
    collection = get(session, Collection, workspace_id, collection_id)
    name = clean_name(name)
    _check_name_free(session, workspace_id, collection.parent_id, name, collection.id)
    if name != collection.name:
        collection.name = name
        audit.record(
            session,
            workspace_id,
            "collection.renamed",
            actor_id=actor_id,
            target_type="collection",
            target_id=collection.id,
            name=name,
        )
    return collection


def delete_collection(
    session: Session, workspace_id: str, collection_id: str, *, actor_id: str | None = None
) -> None:
    """Delete the collection and its sub-collections; the accounts themselves stay."""
    collection = get(session, Collection, workspace_id, collection_id)
    beneath = session.scalars(collection_extensions.live_accounts_beneath(collection.id)).all()
    request_sync(session, beneath, "collection deleted")
    session.delete(collection)
    session.flush()
    collection_extensions.reconcile(session, workspace_id, beneath, actor_id=actor_id)
    audit.record(
        session,
        workspace_id,
        "collection.deleted",
        actor_id=actor_id,
        target_type="collection",
        target_id=collection_id,
    )


def add_account(
    session: Session,
    workspace_id: str,
    collection_id: str,
    account_id: str,
    *,
    actor_id: str | None = None,
) -> None:
    collection = get(session, Collection, workspace_id, collection_id)
    account = get(session, Account, workspace_id, account_id)
    if session.get(CollectionItem, (collection.id, account.id)) is not None:
        return
    session.add(CollectionItem(collection_id=collection.id, account_id=account.id))
    session.flush()
    audit.record(
        session,
        workspace_id,
        "collection.account_added",
        actor_id=actor_id,
        target_type="account",
        target_id=account.id,
        collection_id=collection.id,
    )
    request_sync(session, [account.id], "account added to a collection")
    collection_extensions.reconcile(session, workspace_id, [account.id], actor_id=actor_id)


def remove_account(
    session: Session,
    workspace_id: str,
    collection_id: str,
    account_id: str,
    *,
    actor_id: str | None = None,
) -> None:
    collection = get(session, Collection, workspace_id, collection_id)
    account = get(session, Account, workspace_id, account_id)
    removed = session.execute(
        delete(CollectionItem).where(
            CollectionItem.collection_id == collection.id,
            CollectionItem.account_id == account.id,
        )
    )
    if removed.rowcount:  # type: ignore[attr-defined]
        audit.record(
            session,
            workspace_id,
            "collection.account_removed",
            actor_id=actor_id,
            target_type="account",
            target_id=account.id,
            collection_id=collection.id,
        )
        request_sync(session, [account.id], "account removed from a collection")
        collection_extensions.reconcile(session, workspace_id, [account.id], actor_id=actor_id)
