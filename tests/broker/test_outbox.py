"""Every change that can alter an extended account's Okta state lands in the outbox, coalesced."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.db import transaction
from broker.errors import NotFound
from broker.models import Account, ItemRole, Member, SyncOutbox
from broker.services import accounts, collections, extensions, members, teams, workspaces
from broker.vault import Vault
from tests.broker.builders import World
from tests.conftest import Database


def queued(session: Session) -> dict[str, SyncOutbox]:
    session.flush()
    return {row.account_id: row for row in session.scalars(select(SyncOutbox))}


def clear(session: Session) -> None:
    for row in session.scalars(select(SyncOutbox)):
        session.delete(row)
    session.flush()


def extended(world: World, owner: Member, account: Account) -> Account:
    extensions.extend_account(world.session, owner, account.id)
    return account


@pytest.fixture
def owner(world: World, session: Session) -> Member:
    workspaces.set_extended_access(session, world.workspace.id, True)
    return world.member()


def test_only_extended_accounts_are_queued(world: World, session: Session, owner: Member) -> None:
    plain = world.account()
    ext = world.account()
    world.share(owner, plain, ItemRole.OWNER)
    world.share(owner, ext, ItemRole.OWNER)
    extended(world, owner, ext)

    world.share(world.member(), plain)
    world.share(world.member(), ext)
    assert set(queued(session)) == {ext.id}


def test_changes_to_one_account_coalesce_into_one_row(
    world: World, session: Session, owner: Member
) -> None:
    account = world.account()
    world.share(owner, account, ItemRole.OWNER)
    extended(world, owner, account)
    first = queued(session)[account.id].version

    world.share(world.member(), account)
    world.share(world.member(), account)
    accounts.rename_account(session, world.workspace.id, account.id, name="Renamed")
    rows = queued(session)
    assert list(rows) == [account.id]
    assert rows[account.id].version == first + 3
    assert rows[account.id].reason == "account renamed"


def test_team_membership_change_queues_accounts_reached_through_nested_collections(
    world: World, session: Session, owner: Member
) -> None:
    top = world.collection()
    deep = world.collection(parent=world.collection(parent=top))
    reached = [world.account(within=deep), world.account()]
    untouched = world.account()
    for account in [*reached, untouched]:
        world.share(owner, account, ItemRole.OWNER)
        extended(world, owner, account)
    team = world.team()
    world.share(team, top)
    world.share(team, reached[1])
    clear(session)

    teams.add_members(session, world.workspace.id, team.id, [world.member().id])
    assert set(queued(session)) == {a.id for a in reached}


def test_member_deactivation_queues_every_account_they_reached(
    world: World, session: Session, owner: Member
) -> None:
    member = world.member()
    folder = world.collection()
    via_folder = world.account(within=folder)
    via_team = world.account()
    other = world.account()
    for account in (via_folder, via_team, other):
        world.share(owner, account, ItemRole.OWNER)
        extended(world, owner, account)
    world.share(member, folder)
    world.share(world.team(member), via_team)
    clear(session)

    members.set_inactive(session, world.workspace.id, member.id)
    assert set(queued(session)) == {via_folder.id, via_team.id}


def test_moving_a_collection_queues_the_accounts_beneath(
    world: World, session: Session, owner: Member
) -> None:
    source, destination = world.collection(), world.collection()
    child = world.collection(parent=source)
    account = world.account(within=child)
    world.share(owner, account, ItemRole.OWNER)
    extended(world, owner, account)
    clear(session)

    collections.move_collection(session, world.workspace.id, child.id, destination.id)
    assert set(queued(session)) == {account.id}


def test_deleting_an_account_wipes_its_secrets_and_queues_the_app_removal(
    world: World, session: Session, owner: Member
) -> None:
    account = world.account(totp="JBSWY3DPEHPK3PXP")
    world.share(owner, account, ItemRole.OWNER)
    extended(world, owner, account)
    clear(session)

    accounts.delete_account(session, world.workspace.id, account.id)
    assert queued(session)[account.id].reason == "account deleted"
    assert account.password_secret_id is None
    assert account.totp_secret_id is None
    with pytest.raises(NotFound):
        accounts.rename_account(session, world.workspace.id, account.id, name="Back")


def test_turning_the_feature_on_queues_every_extended_account(
    world: World, session: Session, owner: Member
) -> None:
    account = world.account()
    world.share(owner, account, ItemRole.OWNER)
    extended(world, owner, account)
    workspaces.set_extended_access(session, world.workspace.id, False)
    clear(session)

    workspaces.set_extended_access(session, world.workspace.id, True)
    assert set(queued(session)) == {account.id}


def test_a_rolled_back_change_leaves_no_outbox_row(db: Database, vault: Vault) -> None:
    with transaction(db.sessions) as session:
        world = World(session, vault, workspaces.create_workspace(session, "Acme"))
        workspaces.set_extended_access(session, world.workspace.id, True)
        owner = world.member()
        account = world.account()
        world.share(owner, account, ItemRole.OWNER)
        extended(world, owner, account)
        clear(session)
        ws_id, account_id = world.workspace.id, account.id

    def rename_then_fail() -> None:
        with transaction(db.sessions) as session:
            accounts.rename_account(session, ws_id, account_id, name="Renamed")
            raise RuntimeError("the process died")

    with pytest.raises(RuntimeError):
        rename_then_fail()
    with db.sessions() as session:
        assert queued(session) == {}
        renamed = session.get(Account, account_id)
        assert renamed is not None
        assert renamed.name != "Renamed"
