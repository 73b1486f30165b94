"""A worker whose shared budget cannot be reached (its database connection dropped): it sends
Okta nothing unreserved, records the account as retrying, goes on, and syncs it once the budget
answers again. PostgreSQL only (SQLite keeps the budget in process)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from broker.db import make_engine, make_session_factory
from sandbox.org.limits import rate_limiter
from sync.budget import Budgets
from sync.clients import client_maker
from sync.okta import LimiterSettings
from tests.sync.conftest import SCALE, Env, okta_ids

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("db", ["postgresql"], indirect=True)]


async def test_an_unreachable_budget_sends_nothing_and_the_account_is_retried(env: Env) -> None:
    owner = env.person()
    account = env.extended(owner)
    # The budget's store on a server that refuses connections (nothing listens on port 9).
    dead = make_engine("postgresql+psycopg://postgres@127.0.0.1:9/none", connect_timeout=2)
    worker = env.make_worker()
    worker.clients._make = client_maker(
        transport=env.transport,
        limiter_settings=LimiterSettings(time_scale=SCALE, budget_retries=1),
        budgets=Budgets(make_session_factory(dead)),
    )
    try:
        tally = await env.sync(worker)
    finally:
        await worker.aclose()
        dead.dispose()

    assert (tally.retrying, tally.total_calls) == (1, 0)
    assert env.apps(account) == []  # Okta was never called
    extension = env.extension(account)
    assert extension is not None
    assert "rate-limit budget is unavailable" in (extension.last_error or "")
    assert env.queued() == {account.id}  # still due, for a later round

    # The budget answers again (the worker's own database): the next round syncs it.
    healthy = env.make_worker()
    healthy.clients._make = client_maker(
        transport=env.transport,
        limiter_settings=LimiterSettings(time_scale=SCALE),
        budgets=Budgets(env.db.sessions),
    )
    try:
        await env.sync(healthy, later=True)
    finally:
        await healthy.aclose()
    assert env.assigned(account) == okta_ids(owner)
    with env.db.sessions() as session:
        assert session.execute(text("SELECT count(*) FROM okta_rate_budgets")).scalar() == 1


async def test_a_worker_on_the_shared_budget_syncs_a_batch_with_no_429(env: Env) -> None:
    # The sync suite's org runs a thousand times faster: the budget's margin before each reset
    # must still leave the windows usable.
    people = [env.person() for _ in range(30)]
    accounts = [env.extended(person) for person in people]
    worker = env.make_worker()
    worker.clients._make = client_maker(
        transport=env.transport,
        limiter_settings=LimiterSettings(time_scale=SCALE),
        budgets=Budgets(env.db.sessions),
    )
    try:
        tally = await env.sync(worker)
    finally:
        await worker.aclose()

    assert tally.apps_created == 30
    assert all(env.assigned(a) == okta_ids(p) for a, p in zip(accounts, people, strict=True))
    assert rate_limiter(env.org).counts()["apps"].throttled == 0
