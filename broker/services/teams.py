"""Teams: named groups of members (optionally mirroring an Okta group pushed over SCIM)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from broker import audit
from broker.errors import Conflict
from broker.models import Member, Team, TeamMembership, utcnow
from broker.outbox import accounts_reached_by_team, request_sync
from broker.services._lookup import clean_name, get


def _check_name_free(session: Session, workspace_id: str, name: str, team_id: str | None) -> None:
    holder = session.scalar(
        select(Team.id).where(Team.workspace_id == workspace_id, Team.name == name)
    )
    if holder is not None and holder != team_id:
        raise Conflict(f"A team named {name!r} already exists.", field="name")


def create_team(
    session: Session,
    workspace_id: str,
    name: str,
    *,
    external_id: str | None = None,
    scim_pushed: bool = False,
    actor_id: str | None = None,
) -> Team:
    name = clean_name(name)
    _check_name_free(session, workspace_id, name, None)
    team = Team(
        workspace_id=workspace_id, name=name, external_id=external_id, scim_pushed=scim_pushed
    )
    session.add(team)
    session.flush()
    audit.record(
        session,
        workspace_id,
        "team.created",
        actor_id=actor_id,
        target_type="team",
        target_id=team.id,
        name=name,
    )
    return team


def rename_team(
    session: Session, workspace_id: str, team_id: str, name: str, *, actor_id: str | None = None
) -> Team:
    team = get(session, Team, workspace_id, team_id)
    name = clean_name(name)
    _check_name_free(session, workspace_id, name, team.id)
    if name != team.name:
        team.name = name
        audit.record(
            session,
            workspace_id,
            "team.renamed",
            actor_id=actor_id,
            target_type="team",
            target_id=team.id,
            name=name,
        )
    return team


def set_external_id(
    session: Session, workspace_id: str, team_id: str, external_id: str | None
) -> Team:
    """The Okta group the team mirrors (SCIM `externalId`); it decides no access by itself."""
    team = get(session, Team, workspace_id, team_id)
    team.external_id = external_id
    return team


def mark_scim_pushed(session: Session, workspace_id: str, team_id: str) -> Team:
    """Okta's Group Push has taken the team over: from now on its name and members are Okta's."""
    team = get(session, Team, workspace_id, team_id)
    if not team.scim_pushed:
        team.scim_pushed = True
        audit.record(
            session, workspace_id, "team.scim_pushed", target_type="team", target_id=team.id
        )
    return team


def members_of(session: Session, team_id: str) -> set[str]:
    return set(
        session.scalars(select(TeamMembership.member_id).where(TeamMembership.team_id == team_id))
    )


def set_members(
    session: Session,
    workspace_id: str,
    team_id: str,
    member_ids: Iterable[str],
    *,
    actor_id: str | None = None,
) -> Team:
    """Make the team's membership exactly `member_ids` (SCIM PUT, Group Push)."""
    team = get(session, Team, workspace_id, team_id)
    wanted = {get(session, Member, workspace_id, m).id for m in member_ids}
    current = members_of(session, team.id)
    return _change(session, team, wanted - current, current - wanted, actor_id)


def add_members(
    session: Session,
    workspace_id: str,
    team_id: str,
    member_ids: Iterable[str],
    *,
    actor_id: str | None = None,
) -> Team:
    team = get(session, Team, workspace_id, team_id)
    wanted = {get(session, Member, workspace_id, m).id for m in member_ids}
    return _change(session, team, wanted - members_of(session, team.id), set(), actor_id)


def remove_members(
    session: Session,
    workspace_id: str,
    team_id: str,
    member_ids: Iterable[str],
    *,
    actor_id: str | None = None,
) -> Team:
    team = get(session, Team, workspace_id, team_id)
    leaving = set(member_ids) & members_of(session, team.id)
    return _change(session, team, set(), leaving, actor_id)


def _change(
    session: Session, team: Team, joining: set[str], leaving: set[str], actor_id: str | None
) -> Team:
    if not joining and not leaving:
        return team
    team.updated_at = utcnow()  # the membership is part of the team (SCIM meta.lastModified)
    session.add_all(TeamMembership(team_id=team.id, member_id=m) for m in sorted(joining))
    if leaving:
        session.execute(
            delete(TeamMembership).where(
                TeamMembership.team_id == team.id, TeamMembership.member_id.in_(leaving)
            )
        )
    session.flush()
    audit.record(
        session,
        team.workspace_id,
        "team.membership_changed",
        actor_id=actor_id,
        target_type="team",
        target_id=team.id,
        added=sorted(joining),
        removed=sorted(leaving),
    )
    request_sync(session, accounts_reached_by_team(team.id), "team membership changed")
    return team


def delete_team(
    session: Session, workspace_id: str, team_id: str, *, actor_id: str | None = None
) -> None:
    team = get(session, Team, workspace_id, team_id)
    request_sync(session, accounts_reached_by_team(team.id), "team deleted")
    session.delete(team)
    session.flush()
    audit.record(
        session,
        workspace_id,
        "team.deleted",
        actor_id=actor_id,
        target_type="team",
        target_id=team_id,
    )
