"""Every change that alters who may launch an extended account reaches its Okta app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from broker.models import Account, ItemRole, Member
from broker.services import collections, members, shares, teams
from broker.services.shares import Subject, Target
from tests.broker.builders import World
from tests.sync.conftest import Env, okta_ids

pytestmark = pytest.mark.anyio

Undo = Callable[[World], object]
Grant = Callable[[World, Account, Member], Undo]


def direct_share(world: World, account: Account, reader: Member) -> Undo:
    world.share(reader, account)
    return lambda w: shares.unshare(
        w.session, w.workspace.id, Subject(member_id=reader.id), Target(account_id=account.id)
    )


def team_share(world: World, account: Account, reader: Member) -> Undo:
    team = world.team(reader)
    world.share(team, account)
    return lambda w: shares.unshare(
        w.session, w.workspace.id, Subject(team_id=team.id), Target(account_id=account.id)
    )


def collection_share(world: World, account: Account, reader: Member) -> Undo:
    collection = world.collection()
    collections.add_account(world.session, world.workspace.id, collection.id, account.id)
    world.share(reader, collection)
    return lambda w: shares.unshare(
        w.session, w.workspace.id, Subject(member_id=reader.id), Target(collection_id=collection.id)
    )


def nested_collection_share(world: World, account: Account, reader: Member) -> Undo:
    parent = world.collection()
    child = world.collection(parent)
    collections.add_account(world.session, world.workspace.id, child.id, account.id)
    world.share(reader, parent)
    return lambda w: shares.unshare(
        w.session, w.workspace.id, Subject(member_id=reader.id), Target(collection_id=parent.id)
    )


def account_leaves_collection(world: World, account: Account, reader: Member) -> Undo:
    collection = world.collection()
    collections.add_account(world.session, world.workspace.id, collection.id, account.id)
    world.share(reader, collection)
    return lambda w: collections.remove_account(
        w.session, w.workspace.id, collection.id, account.id
    )


def team_membership(world: World, account: Account, reader: Member) -> Undo:
    team = world.team()
    world.share(team, account)
    teams.add_members(world.session, world.workspace.id, team.id, [reader.id])
    return lambda w: teams.remove_members(w.session, w.workspace.id, team.id, [reader.id])


def member_deactivated(world: World, account: Account, reader: Member) -> Undo:
    world.share(reader, account)
    return lambda w: members.set_inactive(w.session, w.workspace.id, reader.id)


def owner_share_downgraded_to_nothing(world: World, account: Account, reader: Member) -> Undo:
    world.share(reader, account, ItemRole.OWNER)
    return lambda w: shares.unshare(
        w.session, w.workspace.id, Subject(member_id=reader.id), Target(account_id=account.id)
    )


@pytest.mark.parametrize(
    "grant",
    [
        direct_share,
        team_share,
        collection_share,
        nested_collection_share,
        account_leaves_collection,
        team_membership,
        member_deactivated,
        owner_share_downgraded_to_nothing,
    ],
)
async def test_access_granted_then_taken_away_is_assigned_then_unassigned(
    env: Env, grant: Grant
) -> None:
    owner, reader = env.person(), env.person()
    account = env.extended(owner)
    await env.sync()

    with env.change() as world:
        undo = grant(world, account, reader)
    granted = await env.sync()
    assert env.assigned(account) == okta_ids(owner, reader)
    assert (granted.assignments_added, granted.assignments_removed) == (1, 0)

    with env.change() as world:
        undo(world)
    revoked = await env.sync()
    assert env.assigned(account) == okta_ids(owner)
    assert (revoked.assignments_added, revoked.assignments_removed) == (0, 1)
    assert env.queued() == set()


@pytest.mark.parametrize(
    "who",
    [
        pytest.param({"okta": False}, id="member without an Okta id"),
        pytest.param({"role": "login_only"}, id="login-only member"),
        pytest.param({"active": False}, id="deactivated member"),
    ],
)
async def test_members_who_may_not_launch_are_never_assigned(env: Env, who: dict[str, Any]) -> None:
    owner, other = env.person(), env.person(**who)
    account = env.extended(owner)
    with env.change() as world:
        world.share(other, account)

    await env.sync()

    assert env.assigned(account) == okta_ids(owner)


async def test_share_change_on_an_account_not_extended_makes_no_call(env: Env) -> None:
    owner = env.person()
    with env.change() as world:
        account = world.account()
        world.share(owner, account, ItemRole.OWNER)

    tally = await env.sync()

    assert tally.total_calls == 0
    assert env.apps(account) == []
