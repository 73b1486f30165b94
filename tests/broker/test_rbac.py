"""The RBAC matrix: every workspace role x every share path x Owner/Collaborator, and more."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from broker import rbac
from broker.errors import InvalidInput
from broker.models import Account, ItemRole, Member, WorkspaceRole
from broker.rbac import Denial, MemberFacts
from broker.services import extensions, members, teams, workspaces
from tests.broker.builders import World

PATHS = [
    "direct",
    "team",
    "collection",
    "collection_via_team",
    "nested_collection",
    "nested_collection_via_team",
    "none",
]
RESTRICTED = {WorkspaceRole.LOGIN_ONLY, WorkspaceRole.GUEST}


def _grant(world: World, member: Member, path: str, role: ItemRole) -> Account:
    """An account that `member` reaches by exactly one `path` with `role`."""
    top = world.collection()
    leaf = world.collection(parent=world.collection(parent=top))
    if path.startswith("nested"):
        account = world.account(within=leaf)
        target = top
    elif path.startswith("collection"):
        account = world.account(within=top)
        target = top
    else:
        account = world.account()
        target = account
    if path == "none":
        world.share(world.member(), account, ItemRole.OWNER)  # someone else's account
    elif path.endswith("team") or path == "team":
        world.share(world.team(member), target, role)
    else:
        world.share(member, target, role)
    return account


@pytest.mark.parametrize("item_role", [ItemRole.OWNER, ItemRole.COLLABORATOR])
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("workspace_role", list(WorkspaceRole))
def test_rbac_matrix(
    world: World,
    session: Session,
    workspace_role: WorkspaceRole,
    path: str,
    item_role: ItemRole,
) -> None:
    workspaces.set_extended_access(session, world.workspace.id, True)
    member = world.member(workspace_role)
    restricted = workspace_role in RESTRICTED
    direct_owner = item_role is ItemRole.OWNER and path in (
        "direct",
        "collection",
        "nested_collection",
    )
    if restricted and direct_owner:
        with pytest.raises(InvalidInput, match="only be a Collaborator"):
            _grant(world, member, path, item_role)
        return
    account = _grant(world, member, path, item_role)
    facts = MemberFacts.of(member)

    expected_role = None if path == "none" else item_role
    if restricted and expected_role is ItemRole.OWNER:
        expected_role = ItemRole.COLLABORATOR
    assert rbac.effective_role(session, facts, account.id) is expected_role

    can_launch = expected_role is not None and not restricted
    assert rbac.can_launch(session, member, account.id) is can_launch
    decision = rbac.decide_launch(session, facts, world.workspace.id, account.id)
    expected_denial = (
        Denial.LOGIN_ONLY if restricted else None if expected_role else Denial.NO_ACCESS
    )
    assert decision.denial is expected_denial

    is_owner = expected_role is ItemRole.OWNER and not restricted
    assert rbac.can_extend(session, member, account.id) is is_owner
    assert rbac.can_sync(session, member, account.id) is is_owner
    assert rbac.can_remove_from_okta(session, member, account.id) is is_owner
    assert rbac.can_toggle_feature(member) is (workspace_role in rbac.ADMIN_ROLES)

    in_set = member.external_id in rbac.assignment_set(session, account.id)
    assert in_set is can_launch
    bulk = rbac.assignment_sets(session, world.workspace.id, [account.id])[account.id]
    assert bulk == rbac.assignment_set(session, account.id)


@pytest.mark.parametrize("path", PATHS[:-1])
def test_deactivated_member_reaches_nothing(world: World, session: Session, path: str) -> None:
    member = world.member(WorkspaceRole.ADMIN)
    account = _grant(world, member, path, ItemRole.OWNER)
    members.set_inactive(session, world.workspace.id, member.id)

    decision = rbac.decide_launch(session, MemberFacts.of(member), world.workspace.id, account.id)
    assert decision.denial is Denial.DEACTIVATED
    assert not rbac.can_extend(session, member, account.id)
    assert not rbac.can_toggle_feature(member)
    assert member.external_id not in rbac.assignment_set(session, account.id)


def test_member_without_okta_id_can_launch_but_not_extend_nor_be_assigned(
    world: World, session: Session
) -> None:
    workspaces.set_extended_access(session, world.workspace.id, True)
    member = world.member(okta=False)
    account = world.account()
    world.share(member, account, ItemRole.OWNER)

    assert rbac.can_launch(session, member, account.id)
    assert not rbac.can_extend(session, member, account.id)
    assert rbac.assignment_set(session, account.id) == frozenset()


def test_extend_needs_the_feature_on_but_remove_does_not(world: World, session: Session) -> None:
    owner = world.member()
    account = world.account()
    world.share(owner, account, ItemRole.OWNER)

    assert not rbac.can_extend(session, owner, account.id)
    assert rbac.can_remove_from_okta(session, owner, account.id)
    workspaces.set_extended_access(session, world.workspace.id, True)
    assert rbac.can_extend(session, owner, account.id)


def test_strongest_path_wins(world: World, session: Session) -> None:
    member = world.member()
    top = world.collection()
    account = world.account(within=world.collection(parent=top))
    world.share(member, account, ItemRole.COLLABORATOR)
    world.share(world.team(member), top, ItemRole.OWNER)

    assert rbac.effective_role(session, MemberFacts.of(member), account.id) is ItemRole.OWNER


def test_team_membership_change_changes_access(world: World, session: Session) -> None:
    member = world.member()
    team = world.team()
    account = world.account()
    world.share(team, account, ItemRole.COLLABORATOR)
    assert not rbac.can_launch(session, member, account.id)

    teams.add_members(session, world.workspace.id, team.id, [member.id])
    assert rbac.can_launch(session, member, account.id)
    assert rbac.assignment_set(session, account.id) == {member.external_id}

    teams.remove_members(session, world.workspace.id, team.id, [member.id])
    assert not rbac.can_launch(session, member, account.id)
    assert rbac.assignment_set(session, account.id) == frozenset()


def test_account_of_another_workspace_is_unknown(world: World, session: Session) -> None:
    member = world.member(WorkspaceRole.OWNER)
    other = World(session, world.vault, workspaces.create_workspace(session, "Other"))
    foreign = other.account()

    decision = rbac.decide_launch(session, MemberFacts.of(member), world.workspace.id, foreign.id)
    assert decision.denial is Denial.UNKNOWN_ACCOUNT
    assert not rbac.can_extend(session, member, foreign.id)


def test_bulk_assignment_sets_match_single_queries(world: World, session: Session) -> None:
    people = [world.member(role) for role in WorkspaceRole for _ in range(2)]
    people.append(world.member(okta=False))
    team_a, team_b = world.team(*people[::2]), world.team(*people[1::3])
    top = world.collection()
    mid = world.collection(parent=top)
    leaf = world.collection(parent=mid)
    accounts = [world.account(within=c) for c in (top, mid, leaf, None, leaf)]
    world.share(team_a, top)
    world.share(team_b, mid, ItemRole.OWNER)
    world.share(people[0], accounts[3], ItemRole.OWNER)
    world.share(people[5], leaf)
    members.set_inactive(session, world.workspace.id, people[1].id)

    bulk = rbac.assignment_sets(session, world.workspace.id)
    assert set(bulk) == {a.id for a in accounts}
    for account in accounts:
        assert bulk[account.id] == rbac.assignment_set(session, account.id)
    assert bulk[accounts[2].id] > bulk[accounts[0].id]  # the leaf also reaches team B and people[5]


def test_owner_can_extend_then_remove(world: World, session: Session) -> None:
    workspaces.set_extended_access(session, world.workspace.id, True)
    owner = world.member()
    account = world.account()
    world.share(owner, account, ItemRole.OWNER)

    extension = extensions.extend_account(session, owner, account.id)
    assert extension.extended_by_id == owner.id
    extensions.remove_from_okta(session, owner, account.id)
    assert extension.removal_requested_at is not None
