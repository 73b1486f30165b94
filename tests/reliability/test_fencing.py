"""Never two creates for one account, even when the lock that keeps workers apart dies under one
of them; a worker notices a lost lock, stops writing, and has the account synced again."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from broker.models import utcnow
from sandbox.org.faults import Consistency, fault_injector
from tests.reliability.conftest import Hold, app_listing, cut_lock_connection
from tests.sync.conftest import LISTING_LAG, Env, okta_ids
from tests.sync.test_faults import Crash, Dying, converge

pytestmark = pytest.mark.anyio
postgresql_only = pytest.mark.parametrize("db", ["postgresql"], indirect=True)


async def test_a_lock_lost_mid_sync_never_lets_a_second_worker_create_a_second_app(
    env: Env,
) -> None:
    # Okta's listing lags: the second worker's lookup cannot see the first one's new app.
    fault_injector(env.org).consistency = Consistency(list_lag=LISTING_LAG)
    owner, reader = env.person(), env.person()
    account = env.extended(owner)
    held_first = Hold(env.transport, app_listing)
    held_second = Hold(env.transport, app_listing)
    first = env.make_worker(transport=held_first)
    second = env.make_worker(transport=held_second)
    try:
        syncing = asyncio.create_task(env.sync(first))
        await asyncio.wait_for(held_first.reached.wait(), 5)  # locked, found no app, looking
        if env.db.engine_name == "postgresql":
            cut_lock_connection(env.db.engine, first)  # a failover: the first's lock is gone
        # (On SQLite each worker object locks only for itself: two of them race as two
        # processes on PostgreSQL do once the lock is gone.)
        with env.change() as world:
            world.share(reader, account)  # due again at once: the second worker claims it
        racing = asyncio.create_task(env.sync(second))
        await asyncio.wait_for(held_second.reached.wait(), 5)  # it read no mark, no app either

        held_first.opened.set()
        done_first = await syncing
        held_second.opened.set()
        done_second = await racing
    finally:
        await first.aclose()
        await second.aclose()

    assert done_first.apps_created == 1
    assert (done_second.apps_created, done_second.deferred) == (0, 1)  # fenced off by the mark
    assert len(env.apps(account)) == 1
    fault_injector(env.org).clear()
    await converge(env)
    assert len(env.apps(account)) == 1
    assert env.assigned(account) == okta_ids(owner, reader)


@postgresql_only
async def test_a_worker_whose_lock_connection_is_cut_stops_writing_and_requeues(
    env: Env,
) -> None:
    owner = env.person()
    account = env.extended(owner)
    held = Hold(env.transport, app_listing)
    worker = env.make_worker(transport=held, heartbeat=timedelta(seconds=0.05))
    try:
        syncing = asyncio.create_task(env.sync(worker))
        await asyncio.wait_for(held.reached.wait(), 5)
        cut_lock_connection(env.db.engine, worker)
        await asyncio.sleep(0.3)  # a few heartbeats: the worker learns its lock is gone
        held.opened.set()
        tally = await syncing
    finally:
        await worker.aclose()

    assert (tally.apps_created, tally.deferred) == (0, 1)  # no write without the lock
    assert env.apps(account) == []
    assert env.queued() == {account.id}
    await converge(env)
    assert env.assigned(account) == okta_ids(owner)


async def test_a_live_workers_claim_is_renewed_past_its_lease(env: Env) -> None:
    owner = env.person()
    account = env.extended(owner)
    held = Hold(env.transport, app_listing)
    lease: dict[str, Any] = {"lease": timedelta(seconds=0.4), "heartbeat": timedelta(seconds=0.1)}
    slow, other = env.make_worker(transport=held, **lease), env.make_worker(**lease)
    try:
        syncing = asyncio.create_task(env.sync(slow))
        await asyncio.wait_for(held.reached.wait(), 5)
        await asyncio.sleep(1.0)  # more than twice the lease

        raced = await env.sync(other)

        held.opened.set()
        await syncing
    finally:
        await slow.aclose()
        await other.aclose()
    assert raced.accounts == 0  # still claimed: its heartbeat kept the lease
    assert len(env.apps(account)) == 1
    assert env.queued() == set()


async def test_a_dead_workers_accounts_are_due_again_within_the_short_lease(env: Env) -> None:
    owner = env.person()
    account = env.extended(owner)
    doomed = env.make_worker(transport=Dying(env.transport, 0))
    with pytest.raises(Crash):
        await env.sync(doomed)
    lease = env.worker.settings.lease
    assert lease <= timedelta(seconds=30)

    # Past the lease (and the create's listing grace) a live worker takes the account over.
    later = utcnow() + max(lease, env.worker.settings.listing_grace) + timedelta(seconds=5)
    tally = await env.worker.run_due(now=later)

    assert tally.synced == 1
    assert env.assigned(account) == okta_ids(owner)
