"""Teams: list, create, rename, delete, add and remove members — workspace admins only
(`rbac.can_manage_teams`).

A team pushed from an Okta group over SCIM (it has an external id) is Okta's: its name, its
members and its existence change only through Okta (Group Push, `broker.scim`), so every change
here is refused with a `Conflict` saying so — not only hidden on the page. SCIM itself calls the
services directly and is not refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.actions._actor import admin
from broker.actions.snapshots import MemberRow
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import Conflict, InvalidInput, NotFound
from broker.models import Member, Team, TeamMembership
from broker.services import teams

_REFUSAL = "Only a workspace Owner, Super Admin or Admin can manage teams."
OKTA_OWNS = (
    "This team is managed by Okta (pushed from an Okta group): change its name and members "
    "in Okta, and Okta updates it here."
)


@dataclass(frozen=True)
class TeamRow:
    id: str
    name: str
    managed_by_okta: bool
    members: int


@dataclass(frozen=True)
class TeamSnapshot:
    id: str
    name: str
    managed_by_okta: bool
    members: list[MemberRow]
    candidates: list[MemberRow]  # active members of the workspace not in the team


def _row(member: Member) -> MemberRow:
    return MemberRow(
        member.id, member.name, member.email, member.role, member.active, member.external_id
    )


def _team(db: Session, workspace_id: str, team_id: str) -> Team:
    team = db.get(Team, team_id)
    if team is None or team.workspace_id != workspace_id:
        raise NotFound("No such team.")
    return team


def _ours(db: Session, workspace_id: str, team_id: str) -> Team:
    team = _team(db, workspace_id, team_id)
    if team.managed_by_okta:
        raise Conflict(OKTA_OWNS)
    return team


def listing(ctx: BrokerContext, member_id: str) -> list[TeamRow]:
    with transaction(ctx.sessions) as db:
        workspace_id = admin(db, member_id, refusal=_REFUSAL).workspace_id
        counts = dict(
            db.execute(
                select(TeamMembership.team_id, func.count())
                .join(Team, Team.id == TeamMembership.team_id)
                .where(Team.workspace_id == workspace_id)
                .group_by(TeamMembership.team_id)
            ).all()
        )
        found = db.scalars(
            select(Team).where(Team.workspace_id == workspace_id).order_by(func.lower(Team.name))
        )
        return [TeamRow(t.id, t.name, t.managed_by_okta, counts.get(t.id, 0)) for t in found]


def team(ctx: BrokerContext, member_id: str, team_id: str) -> TeamSnapshot:
    with transaction(ctx.sessions) as db:
        workspace_id = admin(db, member_id, refusal=_REFUSAL).workspace_id
        found = _team(db, workspace_id, team_id)
        inside = teams.members_of(db, found.id)
        people = db.scalars(
            select(Member).where(Member.workspace_id == workspace_id).order_by(Member.email)
        ).all()
        return TeamSnapshot(
            id=found.id,
            name=found.name,
            managed_by_okta=found.managed_by_okta,
            members=[_row(m) for m in people if m.id in inside],
            candidates=[_row(m) for m in people if m.id not in inside and m.active],
        )


def create(ctx: BrokerContext, member_id: str, name: str) -> str:
    with transaction(ctx.sessions) as db:
        acting = admin(db, member_id, refusal=_REFUSAL)
        return teams.create_team(db, acting.workspace_id, name, actor_id=acting.id).id


def rename(ctx: BrokerContext, member_id: str, team_id: str, name: str) -> None:
    with transaction(ctx.sessions) as db:
        acting = admin(db, member_id, refusal=_REFUSAL)
        found = _ours(db, acting.workspace_id, team_id)
        teams.rename_team(db, acting.workspace_id, found.id, name, actor_id=acting.id)


def delete(ctx: BrokerContext, member_id: str, team_id: str) -> str:
    """Delete the team (its shares go with it); returns its name."""
    with transaction(ctx.sessions) as db:
        acting = admin(db, member_id, refusal=_REFUSAL)
        found = _ours(db, acting.workspace_id, team_id)
        name = found.name
        teams.delete_team(db, acting.workspace_id, found.id, actor_id=acting.id)
        return name


def _members(db: Session, workspace_id: str, member_ids: Iterable[str]) -> list[str]:
    ids = list(dict.fromkeys(member_ids))
    if not ids:
        raise InvalidInput("Choose a member.", field="member_id")
    for mid in ids:
        found = db.get(Member, mid)
        if found is None or found.workspace_id != workspace_id:
            raise NotFound("No such member in this workspace.")
    return ids


def add_members(
    ctx: BrokerContext, member_id: str, team_id: str, member_ids: Iterable[str]
) -> None:
    with transaction(ctx.sessions) as db:
        acting = admin(db, member_id, refusal=_REFUSAL)
        found = _ours(db, acting.workspace_id, team_id)
        ids = _members(db, acting.workspace_id, member_ids)
        if any(not db.get_one(Member, mid).active for mid in ids):
            raise InvalidInput("A deactivated member cannot join a team.", field="member_id")
        teams.add_members(db, acting.workspace_id, found.id, ids, actor_id=acting.id)


def remove_members(
    ctx: BrokerContext, member_id: str, team_id: str, member_ids: Iterable[str]
) -> None:
    with transaction(ctx.sessions) as db:
        acting = admin(db, member_id, refusal=_REFUSAL)
        found = _ours(db, acting.workspace_id, team_id)
        ids = _members(db, acting.workspace_id, member_ids)
        if not set(ids) & teams.members_of(db, found.id):
            raise Conflict("That member is not in this team.")
        teams.remove_members(db, acting.workspace_id, found.id, ids, actor_id=acting.id)
