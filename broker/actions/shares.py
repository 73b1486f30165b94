"""Sharing an account or a collection: who has access through which path; share, change, remove.

Anyone who can see an item can see who has access to it; only its Owners may change that. Every
path counts (docs/rbac.md): a share on the item itself, on a collection holding it (or any
ancestor of one), each either to the member or to a team they are in. A change that would leave
the item without any Owner is refused: nobody could manage it any more.

Before a share of an extended item is confirmed, `preview` says how many people will get its
chiclet: the difference of `rbac.assignment_sets` with and without the share, computed in a
transaction that is rolled back.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from broker import rbac
from broker.actions._actor import actor
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from broker.models import (
    Account,
    Collection,
    CollectionItem,
    ItemRole,
    Member,
    OktaExtension,
    Share,
    Team,
    TeamMembership,
)
from broker.outbox import accounts_in_collections
from broker.services import shares as share_service
from broker.services.shares import Subject, Target

__all__ = ["Subject", "Target"]

MANAGE_REFUSAL = "Only an Owner of this item can change who has access to it."
LAST_OWNER_REFUSAL = "This would leave nobody as Owner. Make someone else an Owner first."


@dataclass(frozen=True)
class Grant:
    """One share as it stands, with the path through which it reaches the item."""

    subject: Subject
    subject_name: str
    role: ItemRole
    via_collection: str | None  # the collection's name when the share is on one
    on_this_item: bool  # editable here (otherwise on the collection's own sharing page)
    collection_id: str | None = None
    may_own: bool = True  # False for a Login-only member or guest (`rbac.may_hold`)


@dataclass(frozen=True)
class Person:
    member_id: str
    name: str
    email: str
    role: ItemRole  # the strongest over every path, capped for Login-only members
    paths: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Choice:
    value: str  # "member:<id>" or "team:<id>"
    label: str


@dataclass(frozen=True)
class Access:
    kind: str  # "account" or "collection"
    id: str
    name: str
    can_manage: bool
    extended: int  # how many extended accounts the item reaches (1 or 0 for an account)
    people: list[Person]
    grants: list[Grant]
    members: list[Choice]
    teams: list[Choice]


def parse_subject(value: str) -> Subject:
    """A form's or query's "member:<id>" / "team:<id>"."""
    kind, _, ident = value.partition(":")
    if kind == "member" and ident:
        return Subject(member_id=ident)
    if kind == "team" and ident:
        return Subject(team_id=ident)
    raise InvalidInput("Choose a member or a team to share with.", field="subject")


def subject_value(subject: Subject) -> str:
    return f"member:{subject.member_id}" if subject.member_id else f"team:{subject.team_id}"


def _who(member: Member) -> str:
    return member.name or member.email


def _lineage(db: Session, workspace_id: str) -> dict[str, str | None]:
    rows = db.execute(
        select(Collection.id, Collection.parent_id).where(Collection.workspace_id == workspace_id)
    )
    return {cid: parent for cid, parent in rows}


def _collections_reaching(db: Session, workspace_id: str, target: Target) -> list[str]:
    """The collections whose shares reach the target: those holding it and their ancestors."""
    parents = _lineage(db, workspace_id)
    if target.account_id:
        start = list(
            db.scalars(
                select(CollectionItem.collection_id).where(
                    CollectionItem.account_id == target.account_id
                )
            )
        )
    else:
        start = [target.collection_id or ""]
    seen: list[str] = []
    for cid in start:
        current: str | None = cid
        while current is not None and current not in seen:
            seen.append(current)
            current = parents.get(current)
    return seen


def _grants(db: Session, workspace_id: str, target: Target) -> list[Grant]:
    collections = _collections_reaching(db, workspace_id, target)
    names = {
        cid: name
        for cid, name in db.execute(
            select(Collection.id, Collection.name).where(Collection.id.in_(collections))
        )
    }
    reach: ColumnElement[bool] = Share.collection_id.in_(collections)
    if target.account_id:
        reach = reach | (Share.account_id == target.account_id)
    rows = db.scalars(select(Share).where(Share.workspace_id == workspace_id, reach)).all()
    shared_with = {
        m.id: m
        for m in db.scalars(
            select(Member).where(Member.id.in_([r.member_id for r in rows if r.member_id]))
        )
    }
    member_names = {mid: _who(m) for mid, m in shared_with.items()}
    team_names = {
        tid: tname
        for tid, tname in db.execute(
            select(Team.id, Team.name).where(Team.id.in_([r.team_id for r in rows if r.team_id]))
        )
    }
    grants = []
    for row in rows:
        subject = Subject(member_id=row.member_id, team_id=row.team_id)
        name = (
            member_names.get(row.member_id or "", "?")
            if row.member_id
            else f"Team “{team_names.get(row.team_id or '', '?')}”"
        )
        here = (
            row.account_id == target.account_id
            if target.account_id
            else row.collection_id == target.collection_id
        )
        via = None if row.account_id else names.get(row.collection_id or "")
        holder = shared_with.get(row.member_id or "")
        may_own = holder is None or rbac.may_hold(holder.role, ItemRole.OWNER)
        role = ItemRole(row.role)
        grants.append(Grant(subject, name, role, via, here, row.collection_id, may_own))
    grants.sort(key=lambda g: (not g.on_this_item, g.via_collection or "", g.subject_name.lower()))
    return grants


def _people(db: Session, grants: list[Grant]) -> list[Person]:
    team_ids = [g.subject.team_id for g in grants if g.subject.team_id]
    team_members: dict[str, list[str]] = defaultdict(list)
    for team_id, member_id in db.execute(
        select(TeamMembership.team_id, TeamMembership.member_id).where(
            TeamMembership.team_id.in_(team_ids)
        )
    ):
        team_members[team_id].append(member_id)
    reached: dict[str, list[tuple[ItemRole, str]]] = defaultdict(list)
    for grant in grants:
        where = f"collection “{grant.via_collection}”" if grant.via_collection else None
        if grant.subject.member_id:
            path = f"Through {where}" if where else "Direct"
            reached[grant.subject.member_id].append((grant.role, path))
        else:
            team = grant.subject_name
            path = f"{team} through {where}" if where else team
            for member_id in team_members.get(grant.subject.team_id or "", []):
                reached[member_id].append((grant.role, path))
    members = {m.id: m for m in db.scalars(select(Member).where(Member.id.in_(list(reached))))}
    people = []
    for member_id, found in reached.items():
        member = members.get(member_id)
        if member is None or not member.active:
            continue  # a deactivated member has no access, whatever the shares say
        role = rbac.cap_for(member.role, rbac.strongest(r for r, _ in found))
        assert role is not None
        paths = sorted({f"{p} ({r.value})" for r, p in found})
        people.append(Person(member.id, _who(member), member.email, role, paths))
    people.sort(key=lambda p: (p.role is not ItemRole.OWNER, p.name.lower()))
    return people


def _extended_accounts(db: Session, target: Target) -> list[str]:
    """The accounts under the target that are extended to Okta (and not being removed)."""
    if target.account_id:
        ids: list[str] = [target.account_id]
    else:
        ids = list(db.scalars(accounts_in_collections([target.collection_id or ""])))
    return list(
        db.scalars(
            select(OktaExtension.account_id)
            .join(Account, Account.id == OktaExtension.account_id)
            .where(
                OktaExtension.account_id.in_(ids),
                OktaExtension.removal_requested_at.is_(None),
                Account.deleted_at.is_(None),
            )
        )
    )


def _item(db: Session, member: Member, target: Target, *, manage: bool) -> tuple[str, bool]:
    """(name, may manage) of the target; NotFound when the member cannot see it."""
    if target.account_id:
        account_id = target.account_id
        role = rbac.account_role(db, member, account_id)
        visible = rbac.view_allowed(rbac.MemberFacts.of(member), role)
        can_manage = visible and rbac.can_manage_account(db, member, account_id)
        name = db.get_one(Account, account_id).name if visible else ""
    else:
        collection_id = target.collection_id or ""
        visible = rbac.can_view_collection(db, member, collection_id)
        can_manage = visible and rbac.can_manage_collection(db, member, collection_id)
        name = db.get_one(Collection, collection_id).name if visible else ""
    if not visible:
        raise NotFound(f"No such {'account' if target.account_id else 'collection'}.")
    if manage and not can_manage:
        raise PermissionDenied(MANAGE_REFUSAL)
    return name, can_manage


def access(ctx: BrokerContext, member_id: str, target: Target) -> Access:
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        name, can_manage = _item(db, member, target, manage=False)
        grants = _grants(db, member.workspace_id, target)
        members: list[Choice] = []
        teams: list[Choice] = []
        if can_manage:
            members = [
                Choice(f"member:{m.id}", f"{_who(m)} <{m.email}>" if m.name else m.email)
                for m in db.scalars(
                    select(Member)
                    .where(Member.workspace_id == member.workspace_id, Member.active.is_(True))
                    .order_by(Member.email)
                )
            ]
            teams = [
                Choice(f"team:{tid}", f"Team “{tname}”")
                for tid, tname in db.execute(
                    select(Team.id, Team.name)
                    .where(Team.workspace_id == member.workspace_id)
                    .order_by(Team.name)
                )
            ]
        return Access(
            kind="account" if target.account_id else "collection",
            id=target.account_id or target.collection_id or "",
            name=name,
            can_manage=can_manage,
            extended=len(_extended_accounts(db, target)),
            people=_people(db, grants),
            grants=grants,
            members=members,
            teams=teams,
        )


def _check_subject(
    db: Session, workspace_id: str, subject: Subject, *, granting: bool = True
) -> str:
    """The subject's name; a member or team of another workspace is a plain input error."""
    if subject.member_id:
        found = db.get(Member, subject.member_id)
        if found is None or found.workspace_id != workspace_id:
            raise InvalidInput("There is no such member in this workspace.", field="subject")
        if granting and not found.active:
            raise InvalidInput("That member is deactivated.", field="subject")
        return _who(found)
    team = db.get(Team, subject.team_id or "")
    if team is None or team.workspace_id != workspace_id:
        raise InvalidInput("There is no such team in this workspace.", field="subject")
    return f"team “{team.name}”"


def _keeps_an_owner(db: Session, workspace_id: str, target: Target) -> None:
    if not any(p.role is ItemRole.OWNER for p in _people(db, _grants(db, workspace_id, target))):
        raise Conflict(LAST_OWNER_REFUSAL)


def _existing(db: Session, subject: Subject, target: Target) -> Share | None:
    return next(
        (
            s
            for s in db.scalars(
                select(Share).where(
                    Share.member_id.is_(None)
                    if subject.member_id is None
                    else Share.member_id == subject.member_id,
                    Share.team_id.is_(None)
                    if subject.team_id is None
                    else Share.team_id == subject.team_id,
                    Share.account_id.is_(None)
                    if target.account_id is None
                    else Share.account_id == target.account_id,
                    Share.collection_id.is_(None)
                    if target.collection_id is None
                    else Share.collection_id == target.collection_id,
                )
            )
        ),
        None,
    )


def _role(value: str) -> ItemRole:
    try:
        return ItemRole(value)
    except ValueError:
        raise InvalidInput("Choose Owner or Collaborator.", field="role") from None


@dataclass(frozen=True)
class Preview:
    subject_name: str
    role: ItemRole
    is_new: bool  # no share for this subject on the item yet
    extended_accounts: int
    new_people: int  # who will get a chiclet they do not have now


def preview(
    ctx: BrokerContext, member_id: str, target: Target, subject: Subject, role: str
) -> Preview:
    """What `grant` would do, checked as `grant` checks it, then rolled back."""
    item_role = _role(role)
    with ctx.sessions() as db, db.begin() as tx:
        member = actor(db, member_id)
        _item(db, member, target, manage=True)
        name = _check_subject(db, member.workspace_id, subject)
        is_new = _existing(db, subject, target) is None
        extended = _extended_accounts(db, target)
        before = rbac.assignment_sets(db, member.workspace_id, extended) if extended else {}
        share_service.share(db, member.workspace_id, subject, target, item_role)
        db.flush()
        after = rbac.assignment_sets(db, member.workspace_id, extended) if extended else {}
        gained: set[str] = set()
        for account_id in extended:
            gained |= after[account_id] - before[account_id]
        tx.rollback()
    return Preview(name, item_role, is_new, len(extended), len(gained))


def grant(ctx: BrokerContext, member_id: str, target: Target, subject: Subject, role: str) -> str:
    """Share the item with the subject, or change their role on it. The subject's name."""
    item_role = _role(role)
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        _item(db, member, target, manage=True)
        name = _check_subject(db, member.workspace_id, subject)
        share_service.share(db, member.workspace_id, subject, target, item_role, actor_id=member.id)
        db.flush()
        _keeps_an_owner(db, member.workspace_id, target)
        return name


def revoke(ctx: BrokerContext, member_id: str, target: Target, subject: Subject) -> str:
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        _item(db, member, target, manage=True)
        name = _check_subject(db, member.workspace_id, subject, granting=False)
        if _existing(db, subject, target) is None:
            raise Conflict(f"{name[:1].upper()}{name[1:]} has no share on this item any more.")
        share_service.unshare(db, member.workspace_id, subject, target, actor_id=member.id)
        _keeps_an_owner(db, member.workspace_id, target)
        return name
