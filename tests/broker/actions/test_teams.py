"""Teams as workspace admins run them, and the teams Okta pushes, which only Okta changes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import delete, select

from broker.actions import teams as actions
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from broker.models import ItemRole, SyncOutbox, Team, WorkspaceRole
from broker.services import extensions, teams, workspaces
from tests.broker.builders import World


@dataclass
class Scene:
    admin: str
    user: str
    other: str
    gone: str
    stranger: str  # a member of another workspace
    okta_team: str


@pytest.fixture
def scene(ctx: BrokerContext) -> Scene:
    with transaction(ctx.sessions) as s:
        world = World(s, ctx.vault, workspaces.create_workspace(s, "Acme"))
        admin = world.member(WorkspaceRole.ADMIN)
        user, other = world.member(), world.member()
        gone = world.member(active=False)
        pushed = teams.create_team(s, world.workspace.id, "Okta Engineers", external_id="00g1")
        teams.add_members(s, world.workspace.id, pushed.id, [user.id])
        elsewhere = World(s, ctx.vault, workspaces.create_workspace(s, "Elsewhere"), 90)
        stranger = elsewhere.member()
        return Scene(admin.id, user.id, other.id, gone.id, stranger.id, pushed.id)


def test_an_admin_makes_renames_fills_and_deletes_a_team(ctx: BrokerContext, scene: Scene) -> None:
    team_id = actions.create(ctx, scene.admin, "Support")
    actions.add_members(ctx, scene.admin, team_id, [scene.user, scene.other])
    actions.rename(ctx, scene.admin, team_id, "Customer support")
    actions.remove_members(ctx, scene.admin, team_id, [scene.other])

    found = actions.team(ctx, scene.admin, team_id)
    assert (found.name, found.managed_by_okta) == ("Customer support", False)
    assert [m.id for m in found.members] == [scene.user]
    assert scene.gone not in [m.id for m in found.candidates]
    rows = actions.listing(ctx, scene.admin)
    assert [(r.name, r.managed_by_okta, r.members) for r in rows] == [
        ("Customer support", False, 1),
        ("Okta Engineers", True, 1),
    ]
    assert actions.delete(ctx, scene.admin, team_id) == "Customer support"
    assert [r.name for r in actions.listing(ctx, scene.admin)] == ["Okta Engineers"]


def test_a_team_change_reaches_the_okta_assignments_of_what_it_shares(
    ctx: BrokerContext, scene: Scene
) -> None:
    team_id = actions.create(ctx, scene.admin, "Support")
    with transaction(ctx.sessions) as s:
        world = World(
            s, ctx.vault, workspaces.get_workspace(s, s.get_one(Team, team_id).workspace_id), 70
        )
        owner = world.member()
        account = world.account()
        world.share(owner, account, ItemRole.OWNER)
        world.share(s.get_one(Team, team_id), account)
        workspaces.set_extended_access(s, world.workspace.id, True)
        extensions.extend_account(s, owner, account.id)
        s.execute(delete(SyncOutbox))
    actions.add_members(ctx, scene.admin, team_id, [scene.other])
    with ctx.sessions() as s:
        assert s.scalars(select(SyncOutbox.account_id)).all() == [account.id]


@pytest.mark.parametrize("role", [WorkspaceRole.USER, WorkspaceRole.LOGIN_ONLY])
def test_only_workspace_admins_manage_teams(
    ctx: BrokerContext, scene: Scene, role: WorkspaceRole
) -> None:
    with transaction(ctx.sessions) as s:
        ws = s.get_one(Team, scene.okta_team).workspace_id
        member = World(s, ctx.vault, workspaces.get_workspace(s, ws), 60).member(role).id
    for attempt in (
        lambda: actions.listing(ctx, member),
        lambda: actions.create(ctx, member, "Mine"),
        lambda: actions.team(ctx, member, scene.okta_team),
    ):
        with pytest.raises(PermissionDenied, match="Only a workspace Owner"):
            attempt()


def test_a_team_okta_pushed_is_read_only_here_and_every_change_is_refused(
    ctx: BrokerContext, scene: Scene
) -> None:
    for attempt in (
        lambda: actions.rename(ctx, scene.admin, scene.okta_team, "Renamed"),
        lambda: actions.add_members(ctx, scene.admin, scene.okta_team, [scene.other]),
        lambda: actions.remove_members(ctx, scene.admin, scene.okta_team, [scene.user]),
        lambda: actions.delete(ctx, scene.admin, scene.okta_team),
    ):
        with pytest.raises(Conflict, match="managed by Okta"):
            attempt()
    found = actions.team(ctx, scene.admin, scene.okta_team)
    assert found.name == "Okta Engineers"
    assert found.managed_by_okta
    assert [m.id for m in found.members] == [scene.user]


def test_bad_team_input_gets_a_clear_refusal_and_changes_nothing(
    ctx: BrokerContext, scene: Scene
) -> None:
    team_id = actions.create(ctx, scene.admin, "Support")
    with pytest.raises(Conflict, match="already exists"):
        actions.create(ctx, scene.admin, "Okta Engineers")
    with pytest.raises(InvalidInput, match="must not be empty"):
        actions.rename(ctx, scene.admin, team_id, "  ")
    with pytest.raises(InvalidInput, match="longer than 200"):
        actions.create(ctx, scene.admin, "x" * 201)
    with pytest.raises(NotFound, match="No such member"):
        actions.add_members(ctx, scene.admin, team_id, [scene.stranger])
    with pytest.raises(InvalidInput, match="deactivated"):
        actions.add_members(ctx, scene.admin, team_id, [scene.gone])
    with pytest.raises(InvalidInput, match="Choose a member"):
        actions.add_members(ctx, scene.admin, team_id, [])
    with pytest.raises(Conflict, match="not in this team"):
        actions.remove_members(ctx, scene.admin, team_id, [scene.user])
    with pytest.raises(NotFound, match="No such team"):
        actions.rename(ctx, scene.admin, "no-such-team", "X")
    assert actions.team(ctx, scene.admin, team_id).members == []
