"""Where an import puts accounts: the `--collection` named, and Bitwarden folders beneath it.

A step of `broker.actions.imports` (its docstring has the rules); split out to keep that module
readable. Collections are found or made through `broker.services.collections`, and the importer
must be able to manage every existing one it adds accounts to (`broker.rbac`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker import rbac
from broker.errors import InvalidInput
from broker.models import Collection, ItemRole, Member
from broker.services import collections, shares
from broker.services._lookup import clean_name


def _child(db: Session, workspace_id: str, parent_id: str | None, name: str) -> Collection | None:
    same_parent = (
        Collection.parent_id.is_(None) if parent_id is None else Collection.parent_id == parent_id
    )
    return db.scalar(
        select(Collection).where(
            Collection.workspace_id == workspace_id, same_parent, Collection.name == name
        )
    )


def target_collection(db: Session, owner: Member, name: str | None) -> Collection | None:
    """The top-level collection named `name`, if it exists; refused when the owner may not add
    accounts to it. Checked before any row, so a dry run says so too."""
    if name is None:
        return None
    cleaned = clean_name(name, field="collection")
    found = _child(db, owner.workspace_id, None, cleaned)
    if found is not None and not rbac.can_manage_collection(db, owner, found.id):
        raise InvalidInput(
            f"You cannot add accounts to the collection {cleaned!r}: you are not its Owner.",
            field="collection",
        )
    return found


def collection_path(
    db: Session,
    owner: Member,
    top: Collection | None,
    top_name: str,
    folder: str,
    made: dict[tuple[str | None, str], Collection],
    actor_id: str | None,
) -> Collection:
    """The collection for a row: `top`, or the folder's sub-collections beneath it, made on
    demand (the owner is their Owner through the top collection's share)."""

    def ensure(parent: Collection | None, name: str) -> Collection:
        parent_id = parent.id if parent else None
        key = (parent_id, name)
        if key in made:
            return made[key]
        found = _child(db, owner.workspace_id, parent_id, name)
        if found is None:
            found = collections.create_collection(
                db, owner.workspace_id, name, parent_id=parent_id, actor_id=actor_id
            )
            if parent is None:
                shares.share(
                    db,
                    owner.workspace_id,
                    shares.Subject(member_id=owner.id),
                    shares.Target(collection_id=found.id),
                    ItemRole.OWNER,
                    actor_id=actor_id,
                )
        elif not rbac.can_manage_collection(db, owner, found.id):
            raise InvalidInput(
                f"You cannot add accounts to the collection {name!r}.", field="collection"
            )
        made[key] = found
        return found

    collection = top or ensure(None, clean_name(top_name, field="collection"))
    for part in _folder_parts(folder):
        collection = ensure(collection, part)
    return collection


def _folder_parts(folder: str) -> Iterable[str]:
    for part in folder.split("/"):
        cleaned = " ".join(part.split())[:200]
        if cleaned:
            yield cleaned
