"""SCIM Groups (RFC 7643 §4.2) as teams, the way Okta's Group Push sends them.

    displayName   `Team.name`
    externalId    `Team.external_id` (set when the client sends one, on create or update)

A team created over SCIM, or replaced/patched over SCIM, is marked `Team.scim_pushed`: Okta's
Group Push sends no externalId (Okta SCIM 2.0 reference, "Create Groups"), so that mark, not the
external id, is what makes the team "Managed by Okta" and read-only in the broker. A SCIM DELETE
removes the team, mark and all.
    id            `Team.scim_id`
    members       `[{"value", "display", "$ref", "type": "User"}]` (RFC 7643 §4.2), the value
                  being `Member.scim_id`: team membership, which RBAC reads

Every change goes through `broker.services.teams`, which audits it and queues sync of the
accounts the team reaches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scim2_models import Context, Group, GroupMember, Meta, PatchOp, ResponseParameters
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.models import Member, Team, TeamMembership
from broker.scim import lookup
from broker.scim.errors import InvalidValue, Uniqueness
from broker.scim.query import Equals, Page
from broker.scim.times import scim_time
from broker.services import teams

FILTERABLE = ("displayName", "externalId", "id")


@dataclass(frozen=True)
class GroupInput:
    name: str
    external_id: str | None
    member_scim_ids: frozenset[str]


def parse(data: dict[str, Any], context: Context) -> Group:
    group: Group = Group.model_validate(data, scim_ctx=context)
    return group


def read_input(group: Group) -> GroupInput:
    name = " ".join((group.display_name or "").split())
    if not name:
        raise InvalidValue("displayName must not be empty.")
    values = [m.value for m in group.members or ()]
    if any(not v for v in values):
        raise InvalidValue("Every member needs a value (the user's id).")
    external_id = (group.external_id or "").strip() or None
    return GroupInput(name, external_id, frozenset(v for v in values if v))


def _members(session: Session, team: Team) -> list[Member]:
    return list(
        session.scalars(
            select(Member)
            .join(TeamMembership, TeamMembership.member_id == Member.id)
            .where(TeamMembership.team_id == team.id)
            .order_by(Member.email)
        )
    )


def to_model(
    session: Session, team: Team, base_url: str = "", *, with_members: bool = True
) -> Group:
    members = (
        [
            GroupMember.model_validate(
                {
                    "value": m.scim_id,
                    "display": m.name or m.email,
                    "$ref": f"{base_url}/Users/{m.scim_id}",
                    "type": "User",
                }
            )
            for m in _members(session, team)
        ]
        if with_members
        else None
    )
    return Group(
        id=team.scim_id, external_id=team.external_id, display_name=team.name, members=members
    )


def resource(
    session: Session, team: Team, base_url: str, shown: ResponseParameters[Any] | None = None
) -> dict[str, Any]:
    """The team as a SCIM Group; `shown`: the request's `attributes` / `excludedAttributes`
    (RFC 7644 §3.4.2.5), which spare reading the members when they are not wanted."""
    group = to_model(session, team, base_url, with_members=_shows_members(shown))
    group.meta = Meta(
        resource_type="Group",
        created=scim_time(team.created_at),
        last_modified=scim_time(team.updated_at or team.created_at),
        location=f"{base_url}/Groups/{team.scim_id}",
    )
    dumped: dict[str, Any] = group.model_dump(
        scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=shown
    )
    return dumped


def _shows_members(shown: ResponseParameters[Any] | None) -> bool:
    if shown is None:
        return True
    named = {str(a).casefold().split(".")[0] for a in shown.attributes or ()}
    excluded = {str(a).casefold().split(".")[0] for a in shown.excluded_attributes or ()}
    return "members" not in excluded and (not named or "members" in named)


def find(session: Session, workspace_id: str, scim_id: str) -> Team:
    return lookup.find(session, Team, workspace_id, scim_id, "group")


def search(
    session: Session, workspace_id: str, where: Equals | None, page: Page
) -> tuple[list[Team], int]:
    return lookup.search(session, Team, workspace_id, where, page, name=("displayName", Team.name))


def _member_ids(session: Session, workspace_id: str, scim_ids: frozenset[str]) -> set[str]:
    if not scim_ids:
        return set()
    found: dict[str, str] = {
        scim_id: member_id
        for scim_id, member_id in session.execute(
            select(Member.scim_id, Member.id).where(
                Member.workspace_id == workspace_id, Member.scim_id.in_(scim_ids)
            )
        )
    }
    unknown = sorted(scim_ids - found.keys())
    if unknown:
        raise InvalidValue(f"No user with id {unknown[0]!r}: provision the user first.")
    return set(found.values())


def _check_name_free(session: Session, workspace_id: str, name: str, own: str | None) -> None:
    holder = session.scalar(
        select(Team.id).where(
            Team.workspace_id == workspace_id, func.lower(Team.name) == name.lower()
        )
    )
    if holder is not None and holder != own:
        raise Uniqueness(f"A group named {name!r} already exists.")


def create(session: Session, workspace_id: str, data: GroupInput) -> Team:
    _check_name_free(session, workspace_id, data.name, None)
    wanted = _member_ids(session, workspace_id, data.member_scim_ids)
    team = teams.create_team(
        session, workspace_id, data.name, external_id=data.external_id, scim_pushed=True
    )
    if wanted:
        teams.set_members(session, workspace_id, team.id, wanted)
    return team


def replace(session: Session, team: Team, data: GroupInput) -> Team:
    """RFC 7644 §3.5.1: the name and exactly these members."""
    wanted = _member_ids(session, team.workspace_id, data.member_scim_ids)
    teams.mark_scim_pushed(session, team.workspace_id, team.id)
    if data.name != team.name:
        _check_name_free(session, team.workspace_id, data.name, team.id)
        teams.rename_team(session, team.workspace_id, team.id, data.name)
    # Okta's Group Push sends no externalId on PUT: one not sent is left as it is.
    if data.external_id is not None and data.external_id != team.external_id:
        teams.set_external_id(session, team.workspace_id, team.id, data.external_id)
    teams.set_members(session, team.workspace_id, team.id, wanted)
    return team


def patch(session: Session, team: Team, operations: PatchOp[Group]) -> Team:
    """RFC 7644 §3.5.2: `members[value eq "…"]` removals, `members` adds, a path-less rename."""
    group = to_model(session, team)
    operations.patch(group)
    return replace(session, team, read_input(group))


def delete(session: Session, team: Team) -> None:
    teams.delete_team(session, team.workspace_id, team.id)
