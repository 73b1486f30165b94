"""Okta's lists trail its writes: sync trusts what it did itself, not a listing that lags."""

from __future__ import annotations

import pytest

from broker.models import SyncState
from broker.services import shares
from sandbox.org.faults import Consistency, fault_injector
from tests.sync.conftest import LISTING_LAG, Env, okta_ids
from tests.sync.test_faults import converge

pytestmark = pytest.mark.anyio


def lagging_lists(env: Env) -> None:
    # A minute of lag (the listing grace of the tests' workers): no round outlives it.
    fault_injector(env.org).consistency = Consistency(list_lag=LISTING_LAG)


async def test_a_share_removed_within_the_lag_is_unassigned_at_once(env: Env) -> None:
    lagging_lists(env)
    owner, reader = env.person(), env.person()
    account = env.extended(owner)
    with env.change() as world:
        world.share(reader, account)
    await env.sync()  # both assigned; Okta's user listing does not show them yet
    assert env.assigned(account) == okta_ids(owner, reader)

    with env.change() as world:
        shares.unshare(
            world.session,
            world.workspace.id,
            shares.Subject(member_id=reader.id),
            shares.Target(account_id=account.id),
        )
    tally = await env.sync()

    assert tally.assignments_removed == 1
    assert env.assigned(account) == okta_ids(owner)
    assert env.queued() == set()
    extension = env.extension(account)
    assert extension is not None
    assert extension.sync_state is SyncState.SYNCED


async def test_a_user_unassigned_within_the_lag_and_shared_again_is_assigned_again(
    env: Env,
) -> None:
    owner, reader = env.person(), env.person()
    account = env.extended(owner)
    with env.change() as world:
        world.share(reader, account)
    await env.sync()
    lagging_lists(env)
    subject, target = shares.Subject(member_id=reader.id), shares.Target(account_id=account.id)
    with env.change() as world:
        shares.unshare(world.session, world.workspace.id, subject, target)
    await env.sync()
    assert env.assigned(account) == okta_ids(owner)

    with env.change() as world:
        world.share(reader, account)
    await env.sync()

    assert env.assigned(account) == okta_ids(owner, reader)


@pytest.mark.parametrize("pass_kind", ["full pass", "round listing apps"])
async def test_an_app_younger_than_the_listing_is_found_by_its_recorded_id(
    env: Env, pass_kind: str
) -> None:
    lagging_lists(env)
    owner = env.person()
    account = env.extended(owner)
    await env.sync()  # created, synced: its create-started mark is cleared
    extension = env.extension(account)
    assert extension is not None
    assert extension.create_started_at is None

    if pass_kind == "full pass":
        tally = await env.worker.full_pass()
    else:
        # Two new accounts make the round list every app; the young one is not listed yet.
        env.extended(owner), env.extended(owner)
        reader = env.person()
        with env.change() as world:
            world.share(reader, account)  # and this one is due too
        tally = await env.sync()

    assert len(env.apps(account)) == 1
    assert tally.apps_created == (0 if pass_kind == "full pass" else 2)
    fault_injector(env.org).clear()
    await converge(env)
    assert len(env.apps(account)) == 1
