"""Managing the vault: who sees, changes and shares accounts and collections, by every path."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker import rbac
from broker.models import Account, ItemRole, Member, WorkspaceRole
from broker.rbac import MemberFacts
from broker.services import accounts, members, workspaces
from tests.broker.builders import World
from tests.broker.test_rbac import PATHS, RESTRICTED, _grant


def _visible(session: Session, member: Member) -> dict[str, ItemRole]:
    statement = rbac.visible_accounts(MemberFacts.of(member), member.workspace_id)
    return {
        account_id: rbac.role_of_strength(strength)
        for account_id, strength in session.execute(statement)
    }


@pytest.mark.parametrize("item_role", [ItemRole.OWNER, ItemRole.COLLABORATOR])
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("workspace_role", list(WorkspaceRole))
def test_vault_matrix(
    world: World,
    session: Session,
    workspace_role: WorkspaceRole,
    path: str,
    item_role: ItemRole,
) -> None:
    member = world.member(workspace_role)
    restricted = workspace_role in RESTRICTED
    if restricted and item_role is ItemRole.OWNER and not path.endswith("team"):
        return  # refused at share time (tests/broker/test_rbac.py)
    account = _grant(world, member, path, item_role)

    expected = None if path == "none" else item_role
    if restricted and expected is ItemRole.OWNER:
        expected = ItemRole.COLLABORATOR
    assert rbac.account_role(session, member, account.id) is expected
    assert rbac.can_view_account(session, member, account.id) is (expected is not None)
    owner = expected is ItemRole.OWNER
    assert rbac.can_manage_account(session, member, account.id) is owner
    # The list shows exactly the accounts the page would, with the same role.
    assert _visible(session, member) == ({account.id: expected} if expected else {})
    assert rbac.can_create_items(member) is not restricted
    assert rbac.can_manage_teams(member) is (workspace_role in rbac.ADMIN_ROLES)


def test_collection_role_comes_from_the_collection_or_an_ancestor(
    world: World, session: Session
) -> None:
    member = world.member()
    top = world.collection()
    middle = world.collection(parent=top)
    leaf = world.collection(parent=middle)
    sibling = world.collection()
    world.share(world.team(member), middle, ItemRole.COLLABORATOR)
    world.share(member, top, ItemRole.OWNER)

    for collection in (top, middle, leaf):
        assert rbac.can_manage_collection(session, member, collection.id)
    assert not rbac.can_view_collection(session, member, sibling.id)
    assert rbac.collection_role(session, MemberFacts.of(member), sibling.id) is None


def test_collaborator_on_a_collection_sees_but_cannot_manage_it(
    world: World, session: Session
) -> None:
    workspaces.set_extended_access(session, world.workspace.id, True)
    member = world.member()
    collection = world.collection()
    world.share(member, collection, ItemRole.COLLABORATOR)

    assert rbac.can_view_collection(session, member, collection.id)
    assert not rbac.can_manage_collection(session, member, collection.id)
    assert not rbac.can_extend_collection(session, member, collection.id)


def test_extending_a_collection_follows_the_account_rule(world: World, session: Session) -> None:
    owner = world.member()
    no_okta = world.member(okta=False)
    collection = world.collection()
    world.share(owner, collection, ItemRole.OWNER)
    world.share(no_okta, collection, ItemRole.OWNER)

    assert not rbac.can_extend_collection(session, owner, collection.id)  # feature off
    assert rbac.can_remove_collection_from_okta(session, owner, collection.id)
    workspaces.set_extended_access(session, world.workspace.id, True)
    assert rbac.can_extend_collection(session, owner, collection.id)
    assert not rbac.can_extend_collection(session, no_okta, collection.id)


def test_deactivated_member_sees_and_manages_nothing(world: World, session: Session) -> None:
    member = world.member(WorkspaceRole.ADMIN)
    collection = world.collection()
    account = world.account(within=collection)
    world.share(member, collection, ItemRole.OWNER)
    members.set_inactive(session, world.workspace.id, member.id)

    assert _visible(session, member) == {}
    assert not rbac.can_view_account(session, member, account.id)
    assert not rbac.can_manage_collection(session, member, collection.id)
    assert not rbac.can_create_items(member)
    assert not rbac.can_manage_teams(member)


def test_visible_accounts_takes_the_strongest_path_and_skips_deleted_ones(
    world: World, session: Session, vault: object
) -> None:
    member = world.member()
    top = world.collection()
    kept = world.account(within=world.collection(parent=top))
    gone = world.account(within=top)
    world.share(member, kept, ItemRole.COLLABORATOR)
    world.share(world.team(member), top, ItemRole.OWNER)
    accounts.delete_account(session, world.workspace.id, gone.id)

    assert _visible(session, member) == {kept.id: ItemRole.OWNER}
    assert session.scalar(select(Account.deleted_at).where(Account.id == gone.id)) is not None


def test_another_workspaces_accounts_are_never_visible(world: World, session: Session) -> None:
    member = world.member()
    account = world.account()
    world.share(member, account, ItemRole.OWNER)

    statement = rbac.visible_accounts(MemberFacts.of(member), "another-workspace")
    assert session.execute(statement).all() == []


@pytest.mark.parametrize(
    ("workspace_role", "role", "allowed"),
    [
        (WorkspaceRole.USER, ItemRole.OWNER, True),
        (WorkspaceRole.LOGIN_ONLY, ItemRole.OWNER, False),
        (WorkspaceRole.GUEST, ItemRole.OWNER, False),
        (WorkspaceRole.LOGIN_ONLY, ItemRole.COLLABORATOR, True),
    ],
)
def test_login_only_members_can_only_be_collaborators(
    workspace_role: WorkspaceRole, role: ItemRole, allowed: bool
) -> None:
    assert rbac.share_role_allowed(workspace_role, role) is allowed


def test_visible_collections_reach_down_the_tree_with_the_strongest_role(
    world: World, session: Session
) -> None:
    member = world.member()
    top = world.collection()
    child = world.collection(top)
    grandchild = world.collection(child)
    world.collection()  # not shared
    world.share(member, top)
    world.share(world.team(member), child, ItemRole.OWNER)

    seen = {
        cid: rbac.role_of_strength(strength)
        for cid, strength in session.execute(
            rbac.visible_collections(MemberFacts.of(member), member.workspace_id)
        )
    }

    assert seen == {
        top.id: ItemRole.COLLABORATOR,
        child.id: ItemRole.OWNER,
        grandchild.id: ItemRole.OWNER,
    }
    login_only = world.member(WorkspaceRole.LOGIN_ONLY)
    world.share(world.team(login_only), top, ItemRole.OWNER)
    capped = session.execute(
        rbac.visible_collections(MemberFacts.of(login_only), login_only.workspace_id)
    ).all()
    assert {strength for _cid, strength in capped} == {1}


def test_an_account_has_a_manager_only_while_an_active_owner_reaches_it(
    world: World, session: Session
) -> None:
    owner, collaborator = world.member(), world.member()
    holder = world.collection()
    account = world.account(within=holder)
    world.share(collaborator, account)
    assert not rbac.has_manager(session, account.id)
    world.share(world.team(owner), holder, ItemRole.OWNER)
    assert rbac.has_manager(session, account.id)
    members.set_inactive(session, owner.workspace_id, owner.id)
    assert not rbac.has_manager(session, account.id)


@pytest.mark.parametrize("workspace_role", list(WorkspaceRole))
def test_api_tokens_are_for_active_members_who_may_create_items(
    world: World, session: Session, workspace_role: WorkspaceRole
) -> None:
    member = world.member(workspace_role)

    assert rbac.can_hold_api_tokens(member) is (workspace_role not in RESTRICTED)
    members.set_inactive(session, world.workspace.id, member.id)
    assert not rbac.can_hold_api_tokens(member)
