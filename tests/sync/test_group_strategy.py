"""The group strategy: one Latchkey-owned Okta group per app, membership through groups."""

from __future__ import annotations

import pytest

from broker.services import accounts, shares
from broker.services.shares import Subject, Target
from sandbox.org.state import OrgGroup
from sync.state import Strategy, group_name
from tests.sync.conftest import Env, okta_ids

pytestmark = pytest.mark.anyio


def group_of(env: Env, account_id: str) -> OrgGroup | None:
    with env.org.state.locked() as state:
        found = [g for g in state.groups.values() if g.name == group_name(account_id)]
    assert len(found) <= 1
    return found[0] if found else None


async def test_users_reach_the_app_through_its_group(env: Env) -> None:
    worker = env.make_worker(Strategy.GROUP)
    owner, reader = env.person(), env.person()
    account = env.extended(owner)
    with env.change() as world:
        world.share(reader, account)

    await env.sync(worker)

    group = group_of(env, account.id)
    assert group is not None
    assert group.member_ids == okta_ids(owner, reader)
    app = env.app(account)
    assert set(app.group_ids) == {group.id}
    assert app.user_ids == {}

    with env.change() as world:
        shares.unshare(
            world.session,
            world.workspace.id,
            Subject(member_id=reader.id),
            Target(account_id=account.id),
        )
    tally = await env.sync(worker)
    assert group.member_ids == okta_ids(owner)
    assert tally.members_removed == 1

    with env.change() as world:
        accounts.delete_account(world.session, world.workspace.id, account.id)
    await env.sync(worker)
    assert env.apps(account) == []
    assert group_of(env, account.id) is None


async def test_switching_back_to_individual_assigns_directly_and_deletes_the_group(
    env: Env,
) -> None:
    owner, reader = env.person(), env.person()
    account = env.extended(owner)
    with env.change() as world:
        world.share(reader, account)
    await env.sync(env.make_worker(Strategy.GROUP))
    assert group_of(env, account.id) is not None

    tally = await env.worker.full_pass()

    assert group_of(env, account.id) is None
    app = env.app(account)
    assert set(app.user_ids) == okta_ids(owner, reader)
    assert app.group_ids == {}
    assert (tally.assignments_added, tally.groups_deleted) == (2, 1)
    # In step now: the next pass reads the users only (nobody holds the app through a group).
    assert (await env.worker.full_pass()).calls == {"apps": 2}


@pytest.mark.parametrize("strategy", [Strategy.INDIVIDUAL, Strategy.GROUP])
async def test_a_group_assigned_by_hand_is_unassigned_and_kept(
    env: Env, strategy: Strategy
) -> None:
    worker = env.make_worker(strategy)
    owner, stranger = env.person(), env.person()
    account = env.extended(owner)
    await env.sync(worker)
    with env.org.state.locked() as state:
        foreign = state.add_group("Everyone in sales")
        foreign.member_ids.add(stranger.external_id or "")
        env.app(account).group_ids[foreign.id] = foreign.created

    tally = await worker.full_pass()

    app = env.app(account)
    assert foreign.id not in app.group_ids
    assert tally.groups_unassigned == 1
    with env.org.state.locked() as state:
        assert foreign.id in state.groups  # not Latchkey's: never deleted
    if strategy is Strategy.INDIVIDUAL:
        assert set(app.user_ids) == okta_ids(owner)
    else:
        assert set(app.group_ids) == {group_of(env, account.id).id}  # type: ignore[union-attr]


async def test_switching_to_groups_moves_direct_assignments_into_the_group(env: Env) -> None:
    owner = env.person()
    account = env.extended(owner)
    await env.sync()

    await env.make_worker(Strategy.GROUP).full_pass()

    group = group_of(env, account.id)
    assert group is not None
    assert group.member_ids == okta_ids(owner)
    assert env.app(account).user_ids == {}


async def test_switching_strategies_back_and_forth_converges_without_a_failure(
    env: Env,
) -> None:
    # The faithful sandbox refuses to unassign a user a group grants (403 E0000046), as Okta does.
    owner, reader, leaver = env.person(), env.person(), env.person()
    account = env.extended(owner)
    with env.change() as world:
        world.share(reader, account)
        world.share(leaver, account)
    individual, group = env.worker, env.make_worker(Strategy.GROUP)
    await env.sync(individual)

    for worker in (group, individual, group):
        tally = await worker.full_pass()
        assert (tally.failed, tally.retrying, tally.errors) == (0, 0, [])

    with env.change() as world:
        shares.unshare(
            world.session,
            world.workspace.id,
            Subject(member_id=leaver.id),
            Target(account_id=account.id),
        )
    for worker in (group, individual):
        tally = await worker.full_pass()
        assert (tally.failed, tally.retrying, tally.errors) == (0, 0, [])
    app = env.app(account)
    assert set(app.user_ids) == okta_ids(owner, reader)
    assert app.group_ids == {}
    assert group_of(env, account.id) is None


async def test_a_user_held_both_ways_loses_the_app_when_their_access_ends(env: Env) -> None:
    owner, reader = env.person(), env.person()
    account = env.extended(owner)
    with env.change() as world:
        world.share(reader, account)
    worker = env.make_worker(Strategy.GROUP)
    await env.sync(worker)
    reader_id = reader.external_id or ""
    env.app(account).user_ids[reader_id] = env.app(account).created  # assigned by hand too

    with env.change() as world:
        shares.unshare(
            world.session,
            world.workspace.id,
            Subject(member_id=reader.id),
            Target(account_id=account.id),
        )
    tally = await env.sync(worker)

    assert (tally.failed, tally.retrying) == (0, 0)
    assert reader_id not in env.app(account).user_ids
    group = group_of(env, account.id)
    assert group is not None
    assert group.member_ids == okta_ids(owner)
