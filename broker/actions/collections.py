"""Collections: list, create, rename, move (never under itself), delete; put accounts in and take
them out; extend a whole collection to Okta, sync it, remove it from Okta.

Rules (docs/rbac.md, "Managing the vault"): a member sees a collection a share reaches; changing
it needs Owner on it; putting an account into it, or a collection under it, needs Owner on both.
A top collection is made by anyone who may create items (they become its Owner); a sub-collection
by an Owner of its parent. Someone who cannot see a collection or an account is told "not found".

No change may leave an account without anyone to run it: when deleting a collection or taking an
account out of one removes the last Owner share that reached an account, the member acting (an
Owner of it until then) becomes its direct Owner. A move that would leave the actor without Owner
on the collection they moved is refused; they share it with themselves first.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from broker import rbac
from broker.actions import collection_views
from broker.actions._actor import actor
from broker.actions.collection_views import CollectionRow, CollectionSnapshot
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from broker.models import CollectionExtension, ItemRole, Member, Workspace
from broker.services import collection_extensions, collections, shares
from broker.services.shares import Subject, Target

NO_COLLECTION = "No such collection."
NO_ACCOUNT = "No such account."
_OWNER_ONLY = "Only an Owner of this collection can do this."


def listing(ctx: BrokerContext, member_id: str) -> list[CollectionRow]:
    with transaction(ctx.sessions) as db:
        return collection_views.listing(db, actor(db, member_id))


def collection(ctx: BrokerContext, member_id: str, collection_id: str) -> CollectionSnapshot:
    with transaction(ctx.sessions) as db:
        found = collection_views.snapshot(db, actor(db, member_id), collection_id)
        if found is None:
            raise NotFound(NO_COLLECTION)
        return found


def _managed(db: Session, member: Member, collection_id: str) -> None:
    if not rbac.can_view_collection(db, member, collection_id):
        raise NotFound(NO_COLLECTION)
    if not rbac.can_manage_collection(db, member, collection_id):
        raise PermissionDenied(_OWNER_ONLY)


def _managed_account(db: Session, member: Member, account_id: str) -> None:
    if not rbac.can_view_account(db, member, account_id):
        raise NotFound(NO_ACCOUNT)
    if not rbac.can_manage_account(db, member, account_id):
        raise PermissionDenied("Only an Owner of the account can put it in or take it out.")


def create(ctx: BrokerContext, member_id: str, name: str, parent_id: str | None = None) -> str:
    """A new collection; at the top its maker becomes its Owner, beneath it inherits."""
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        if parent_id is not None:
            _managed(db, member, parent_id)
        elif not rbac.can_create_items(member):
            raise PermissionDenied("A Login-only member cannot create collections.")
        made = collections.create_collection(
            db, member.workspace_id, name, parent_id=parent_id, actor_id=member.id
        )
        if parent_id is None:
            shares.share(
                db,
                member.workspace_id,
                Subject(member_id=member.id),
                Target(collection_id=made.id),
                ItemRole.OWNER,
                actor_id=member.id,
            )
        return made.id


def _rename(db: Session, member: Member, collection_id: str, name: str) -> None:
    _managed(db, member, collection_id)
    collections.rename_collection(db, member.workspace_id, collection_id, name, actor_id=member.id)


def _move(db: Session, member: Member, collection_id: str, parent_id: str | None) -> None:
    _managed(db, member, collection_id)
    if parent_id == collection_id:
        raise InvalidInput("A collection cannot be moved under itself.", field="parent_id")
    if parent_id is not None:
        if not rbac.can_view_collection(db, member, parent_id):
            raise NotFound("No such collection to move it under.")
        if not rbac.can_manage_collection(db, member, parent_id):
            raise PermissionDenied("You can move a collection only under one you are an Owner of.")
    moved = collections.move_collection(
        db, member.workspace_id, collection_id, parent_id, actor_id=member.id
    )
    if not rbac.can_manage_collection(db, member, collection_id):
        # Raised inside the transaction: the move is rolled back.
        raise InvalidInput(
            f"After this move you would no longer be an Owner of “{moved.name}” (your "
            "Owner role comes from the collection it sits in now). Share it with yourself "
            "as Owner first, or move it under a collection you own.",
            field="parent_id",
        )


def rename(ctx: BrokerContext, member_id: str, collection_id: str, name: str) -> None:
    with transaction(ctx.sessions) as db:
        _rename(db, actor(db, member_id), collection_id, name)


def move(ctx: BrokerContext, member_id: str, collection_id: str, parent_id: str | None) -> None:
    """Put the collection under `parent_id` (None: at the top). Owner on both; no cycles."""
    with transaction(ctx.sessions) as db:
        _move(db, actor(db, member_id), collection_id, parent_id)


def change(
    ctx: BrokerContext,
    member_id: str,
    collection_id: str,
    *,
    name: str | None = None,
    move_to: bool = False,
    parent_id: str | None = None,
) -> None:
    """Rename and/or (with `move_to`) move in one transaction: a refused move keeps the old name
    too."""
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        if name is not None:
            _rename(db, member, collection_id, name)
        if move_to:
            _move(db, member, collection_id, parent_id)


def _adopt_orphans(db: Session, member: Member, account_ids: list[str]) -> int:
    """Make `member` the direct Owner of the accounts nobody may manage any more."""
    adopted = 0
    for account_id in account_ids:
        if not rbac.has_manager(db, account_id):
            shares.share(
                db,
                member.workspace_id,
                Subject(member_id=member.id),
                Target(account_id=account_id),
                ItemRole.OWNER,
                actor_id=member.id,
            )
            adopted += 1
    return adopted


@dataclass(frozen=True)
class Deleted:
    name: str
    accounts: int  # accounts that were beneath it: they stay, out of the collection
    adopted: int  # of those, how many the actor now owns directly (nobody else could run them)


def delete(ctx: BrokerContext, member_id: str, collection_id: str) -> Deleted:
    """Delete the collection and its sub-collections; the accounts stay, out of them."""
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        _managed(db, member, collection_id)
        beneath = list(db.scalars(collection_extensions.live_accounts_beneath(collection_id)))
        name = collection_views.snapshot_name(db, collection_id)
        collections.delete_collection(db, member.workspace_id, collection_id, actor_id=member.id)
        return Deleted(name, len(beneath), _adopt_orphans(db, member, beneath))


def add_account(ctx: BrokerContext, member_id: str, collection_id: str, account_id: str) -> bool:
    """Put the account into the collection; True when it was extended to Okta with it."""
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        _managed(db, member, collection_id)
        _managed_account(db, member, account_id)
        before = collection_views.in_okta(db, account_id)
        collections.add_account(
            db, member.workspace_id, collection_id, account_id, actor_id=member.id
        )
        return not before and collection_views.in_okta(db, account_id)


def remove_account(ctx: BrokerContext, member_id: str, collection_id: str, account_id: str) -> bool:
    """Take the account out of the collection (it stays in Latchkey); True when the actor
    became its direct Owner because nobody else could run it."""
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        _managed(db, member, collection_id)
        _managed_account(db, member, account_id)
        if not collection_views.holds(db, collection_id, account_id):
            raise Conflict("This account is not in this collection.")
        collections.remove_account(
            db, member.workspace_id, collection_id, account_id, actor_id=member.id
        )
        return _adopt_orphans(db, member, [account_id]) > 0


def _okta_step(db: Session, member: Member, collection_id: str) -> None:
    if not rbac.can_view_collection(db, member, collection_id):
        raise NotFound(NO_COLLECTION)


def _feature_on(db: Session, member: Member) -> None:
    workspace = db.get(Workspace, member.workspace_id)
    if workspace is None or not workspace.extended_access_enabled:
        raise Conflict("Extended account access is turned off in this workspace.")


def extend(ctx: BrokerContext, member_id: str, collection_id: str) -> int:
    """*Extend collection*: how many accounts were newly extended."""
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        _okta_step(db, member, collection_id)
        _feature_on(db, member)
        already = db.get(CollectionExtension, collection_id) is not None
        extended = collection_extensions.extend_collection(db, member, collection_id)
        if already and not extended:
            raise Conflict("This collection and all its accounts are already extended to Okta.")
        return len(extended)


def remove_from_okta(
    ctx: BrokerContext, member_id: str, collection_id: str
) -> collection_extensions.Removal:
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        _okta_step(db, member, collection_id)
        if db.get(CollectionExtension, collection_id) is None:
            raise Conflict("This collection is not extended to Okta.")
        return collection_extensions.remove_collection(db, member, collection_id)


def sync(ctx: BrokerContext, member_id: str, collection_id: str) -> int:
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        _okta_step(db, member, collection_id)
        _feature_on(db, member)
        return len(collection_extensions.sync_collection(db, member, collection_id))
