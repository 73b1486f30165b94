"""What the collection pages and the admin API show of collections, as plain values.

Read in the action's transaction, through `broker.rbac`: a member sees the collections a share
reaches (on them or an ancestor) and, in a collection, every account and sub-collection beneath
it (the collection's shares reach them). The permissions carried decide which buttons are drawn;
the actions check again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker import rbac
from broker.models import (
    Account,
    Collection,
    CollectionExtension,
    CollectionItem,
    ItemRole,
    Member,
    OktaExtension,
    SyncState,
    Workspace,
)
from broker.outbox import collection_subtree
from broker.services.collection_extensions import live_accounts_beneath

# How many of the member's own accounts the "Add an account" list offers at once.
ADDABLE_LIMIT = 500


@dataclass(frozen=True)
class CollectionRow:
    """A collection in the list: `depth` 0 for a top one (or one whose parent is not visible)."""

    id: str
    name: str
    parent_id: str | None
    depth: int
    role: ItemRole
    accounts: int  # held directly
    extended: bool


@dataclass(frozen=True)
class AccountInCollection:
    id: str
    name: str
    app_name: str
    login_origin: str
    state: SyncState | None  # None: not extended to Okta
    through_collection: bool  # extended by an extended collection rather than on its own
    last_error: str | None
    can_remove: bool  # the viewer may take it out of this collection


@dataclass(frozen=True)
class Crumb:
    id: str
    name: str


@dataclass(frozen=True)
class CollectionExtensionView:
    extended_at: datetime
    extended_by: str | None


@dataclass(frozen=True)
class CollectionSnapshot:
    id: str
    name: str
    parent_id: str | None
    path: list[Crumb]  # the visible ancestors, top first
    role: ItemRole
    feature_on: bool
    extension: CollectionExtensionView | None
    # An extended collection above this one: its accounts are extended through it.
    extended_above: Crumb | None
    accounts: list[AccountInCollection]
    children: list[CollectionRow]
    accounts_beneath: int  # in it and in every sub-collection
    not_in_okta: int  # of those, how many are not (or no longer) extended
    can_manage: bool
    can_extend: bool
    can_remove_from_okta: bool
    move_targets: list[Crumb]  # collections the viewer owns that are not beneath this one
    addable: list[Crumb]  # accounts the viewer owns that are not in this collection


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def visible(db: Session, viewer: Member) -> dict[str, ItemRole]:
    """Every collection the viewer can see, with their role on it."""
    facts = rbac.MemberFacts.of(viewer)
    rows = db.execute(rbac.visible_collections(facts, viewer.workspace_id))
    return {cid: rbac.role_of_strength(strength) for cid, strength in rows}


def listing(db: Session, viewer: Member) -> list[CollectionRow]:
    """The visible collections as a tree, depth first, siblings by name."""
    roles = visible(db, viewer)
    if not roles:
        return []
    found = db.execute(
        select(Collection.id, Collection.name, Collection.parent_id).where(
            Collection.id.in_(list(roles))
        )
    ).all()
    counts = dict(
        db.execute(
            select(CollectionItem.collection_id, func.count())
            .join(Account, Account.id == CollectionItem.account_id)
            .where(CollectionItem.collection_id.in_(list(roles)), Account.deleted_at.is_(None))
            .group_by(CollectionItem.collection_id)
        ).all()
    )
    extended = set(
        db.scalars(
            select(CollectionExtension.collection_id).where(
                CollectionExtension.collection_id.in_(list(roles))
            )
        )
    )
    children: dict[str | None, list[tuple[str, str]]] = {}
    parents = {cid: parent for cid, _name, parent in found}
    for cid, name, parent in found:
        # A collection whose parent the viewer cannot see is shown at the top: its parent's
        # name is not theirs to read.
        key = parent if parent in roles else None
        children.setdefault(key, []).append((name.casefold(), cid))
    names = {cid: name for cid, name, _parent in found}
    rows: list[CollectionRow] = []

    def walk(parent: str | None, depth: int) -> None:
        for _key, cid in sorted(children.get(parent, [])):
            rows.append(
                CollectionRow(
                    cid,
                    names[cid],
                    parents[cid],
                    depth,
                    roles[cid],
                    counts.get(cid, 0),
                    cid in extended,
                )
            )
            walk(cid, depth + 1)

    walk(None, 0)
    return rows


def _who(db: Session, member_id: str | None) -> str | None:
    member = db.get(Member, member_id) if member_id else None
    return None if member is None else member.name or member.email


def _path(db: Session, collection: Collection, roles: dict[str, ItemRole]) -> list[Crumb]:
    path: list[Crumb] = []
    parent_id = collection.parent_id
    while parent_id is not None and parent_id in roles:
        parent = db.get_one(Collection, parent_id)
        path.insert(0, Crumb(parent.id, parent.name))
        parent_id = parent.parent_id
    return path


def _extended_above(db: Session, collection: Collection) -> Crumb | None:
    parent_id = collection.parent_id
    while parent_id is not None:
        parent = db.get_one(Collection, parent_id)
        if db.get(CollectionExtension, parent.id) is not None:
            return Crumb(parent.id, parent.name)
        parent_id = parent.parent_id
    return None


def _accounts(
    db: Session, viewer: Member, collection_id: str, can_manage: bool
) -> list[AccountInCollection]:
    rows = db.execute(
        select(Account, OktaExtension)
        .join(CollectionItem, CollectionItem.account_id == Account.id)
        .outerjoin(OktaExtension, OktaExtension.account_id == Account.id)
        .where(CollectionItem.collection_id == collection_id, Account.deleted_at.is_(None))
        .order_by(func.lower(Account.name), Account.id)
    ).all()
    owned: set[str] = set()
    if can_manage:
        # Which of them the viewer owns, in one statement (not one RBAC check per account).
        mine = rbac.visible_accounts(rbac.MemberFacts.of(viewer), viewer.workspace_id).subquery()
        owned = set(
            db.scalars(
                select(mine.c.account_id)
                .join(CollectionItem, CollectionItem.account_id == mine.c.account_id)
                .where(CollectionItem.collection_id == collection_id, mine.c.strength >= 2)
            )
        )
    return [
        AccountInCollection(
            id=account.id,
            name=account.name,
            app_name=account.app_name,
            login_origin=_origin(account.login_url),
            state=None if ext is None else ext.sync_state,
            through_collection=ext is not None and ext.through_collection_id is not None,
            last_error=None if ext is None else ext.last_error,
            can_remove=account.id in owned,
        )
        for account, ext in rows
    ]


def snapshot(db: Session, viewer: Member, collection_id: str) -> CollectionSnapshot | None:
    """The collection as `viewer` may see it, or None when they cannot (or it is none)."""
    if not rbac.can_view_collection(db, viewer, collection_id):
        return None
    collection = db.get_one(Collection, collection_id)
    workspace = db.get_one(Workspace, collection.workspace_id)
    roles = visible(db, viewer)
    role = roles.get(collection.id, ItemRole.COLLABORATOR)
    can_manage = rbac.can_manage_collection(db, viewer, collection.id)
    record = db.get(CollectionExtension, collection.id)
    beneath = list(db.scalars(live_accounts_beneath(collection.id)))
    in_okta = set(
        db.scalars(
            select(OktaExtension.account_id).where(
                OktaExtension.account_id.in_(beneath),
                OktaExtension.removal_requested_at.is_(None),
            )
        )
    )
    children = [row for row in listing(db, viewer) if row.parent_id == collection.id]
    move_targets: list[Crumb] = []
    addable: list[Crumb] = []
    if can_manage:
        below = set(db.scalars(collection_subtree([collection.id])))
        owned = [cid for cid, r in roles.items() if r is ItemRole.OWNER and cid not in below]
        move_targets = [
            Crumb(cid, name)
            for cid, name in db.execute(
                select(Collection.id, Collection.name)
                .where(Collection.id.in_(owned))
                .order_by(func.lower(Collection.name), Collection.id)
            )
        ]
        facts = rbac.MemberFacts.of(viewer)
        mine = rbac.visible_accounts(facts, viewer.workspace_id).subquery()
        held = select(CollectionItem.account_id).where(
            CollectionItem.collection_id == collection.id
        )
        addable = [
            Crumb(aid, f"{name} ({app})")
            for aid, name, app in db.execute(
                select(Account.id, Account.name, Account.app_name)
                .join(mine, mine.c.account_id == Account.id)
                .where(mine.c.strength >= 2, Account.id.not_in(held))
                .order_by(func.lower(Account.name), Account.id)
                .limit(ADDABLE_LIMIT)
            )
        ]
    extension = (
        None
        if record is None
        else CollectionExtensionView(record.extended_at, _who(db, record.extended_by_id))
    )
    return CollectionSnapshot(
        id=collection.id,
        name=collection.name,
        parent_id=collection.parent_id,
        path=_path(db, collection, roles),
        role=role,
        feature_on=workspace.extended_access_enabled,
        extension=extension,
        extended_above=_extended_above(db, collection),
        accounts=_accounts(db, viewer, collection.id, can_manage),
        children=children,
        accounts_beneath=len(beneath),
        not_in_okta=len(beneath) - len(in_okta),
        can_manage=can_manage,
        can_extend=rbac.can_extend_collection(db, viewer, collection.id),
        can_remove_from_okta=record is not None
        and rbac.can_remove_collection_from_okta(db, viewer, collection.id),
        move_targets=move_targets,
        addable=addable,
    )


def snapshot_name(db: Session, collection_id: str) -> str:
    return db.get_one(Collection, collection_id).name


def in_okta(db: Session, account_id: str) -> bool:
    row = db.get(OktaExtension, account_id)
    return row is not None and row.removal_requested_at is None


def holds(db: Session, collection_id: str, account_id: str) -> bool:
    return db.get(CollectionItem, (collection_id, account_id)) is not None
