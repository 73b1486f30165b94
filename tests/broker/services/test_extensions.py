"""Extend, remove and sync: the page actions, allowed only to the roles DESIGN.md names."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from broker.errors import NotFound, PermissionDenied
from broker.models import ItemRole, SyncOutbox, SyncState, WorkspaceRole
from broker.services import extensions, workspaces
from tests.broker.builders import World


@pytest.fixture(autouse=True)
def feature_on(world: World, session: Session) -> None:
    workspaces.set_extended_access(session, world.workspace.id, True)


def test_collaborator_admin_and_unprovisioned_owner_cannot_extend(
    world: World, session: Session
) -> None:
    account = world.account()
    collaborator = world.member()
    admin = world.member(WorkspaceRole.ADMIN)
    local_owner = world.member(okta=False)
    world.share(collaborator, account)
    world.share(local_owner, account, ItemRole.OWNER)
    for actor in (collaborator, admin, local_owner):
        with pytest.raises(PermissionDenied):
            extensions.extend_account(session, actor, account.id)
    assert session.scalar(select(SyncOutbox.account_id)) is None


def test_remove_and_sync_need_an_extended_account(world: World, session: Session) -> None:
    owner = world.member()
    account = world.account()
    world.share(owner, account, ItemRole.OWNER)
    with pytest.raises(NotFound):
        extensions.remove_from_okta(session, owner, account.id)
    with pytest.raises(NotFound):
        extensions.sync_account(session, owner, account.id)


def test_remove_still_works_with_the_feature_off_but_sync_does_not(
    world: World, session: Session
) -> None:
    owner = world.member()
    account = world.account()
    world.share(owner, account, ItemRole.OWNER)
    extensions.extend_account(session, owner, account.id)
    workspaces.set_extended_access(session, world.workspace.id, False)

    with pytest.raises(PermissionDenied):
        extensions.sync_account(session, owner, account.id)
    extension = extensions.remove_from_okta(session, owner, account.id)
    assert extension.sync_state is SyncState.REMOVING


def test_sync_all_queues_only_what_the_member_owns(world: World, session: Session) -> None:
    owner, other = world.member(), world.member()
    mine, theirs, shared = world.account(), world.account(), world.account()
    world.share(owner, mine, ItemRole.OWNER)
    world.share(other, theirs, ItemRole.OWNER)
    world.share(other, shared, ItemRole.OWNER)
    world.share(owner, shared)  # only a Collaborator here
    for actor, account in ((owner, mine), (other, theirs), (other, shared)):
        extensions.extend_account(session, actor, account.id)
    session.execute(delete(SyncOutbox))

    assert extensions.sync_all(session, owner) == [mine.id]
    assert set(session.scalars(select(SyncOutbox.account_id))) == {mine.id}
