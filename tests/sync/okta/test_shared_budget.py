"""Several limiters on one token sharing a budget in PostgreSQL (`sync/budget.py`): together they
stay within the token's share of each window, meet no 429, and never call Okta unreserved.

The org runs on the wall clock sped up `SCALE` times (the virtual clock of `sandbox_org.py` jumps
to a sleeper's deadline while others are still sending, which a budget shared through a database
would read as time running out); the budget's rows live in the test's PostgreSQL schema (skipped,
saying so, when no server answers).
"""

from __future__ import annotations

import contextlib
import math
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from broker.budget_models import OktaRateBudget
from sandbox import seed
from sandbox.org.app import create_org_app
from sandbox.org.clock import Clock
from sandbox.org.context import OrgContext
from sync.budget import Budgets, token_key
from sync.okta.auth import SSWS
from sync.okta.budget import BudgetUnavailable
from sync.okta.client import OktaClient
from sync.okta.limiter import Limiter, LimiterSettings
from tests.conftest import Database
from tests.sync.okta.sandbox_org import ORG_URL, Org, Recording, launch_url

pytestmark = pytest.mark.anyio
postgresql_only = pytest.mark.parametrize("db", ["postgresql"], indirect=True)


SCALE = 100.0  # an Okta minute in 0.6 s


@pytest.fixture
async def org() -> AsyncIterator[Org]:
    token = "00" + secrets.token_urlsafe(30)
    ctx = OrgContext(base_url=ORG_URL, api_token=token, seed=seed.apply)
    ctx.parts["clock"] = clock = Clock(scale=SCALE)
    seed.apply(ctx.state)
    transport = httpx.ASGITransport(create_org_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url=f"{ORG_URL}/_sandbox") as control:
        yield Org(ctx, clock, token, transport, control)  # type: ignore[arg-type]


def recording(org: Org) -> Recording:
    """Notes each call with the org's time (whose windows are aligned to its clock)."""
    return Recording(org.transport, org.clock)


def shared_client(
    org: Org, budgets: Budgets, transport: httpx.AsyncBaseTransport | None = None, **settings: Any
) -> OktaClient:
    """A client as a worker process builds it on PostgreSQL: its limiter spends the token's
    shared budget."""
    limiter = Limiter(
        LimiterSettings(**{"time_scale": SCALE, **settings}),
        budget=budgets.for_token(ORG_URL, org.token),
    )
    return OktaClient(
        ORG_URL, SSWS(org.token), transport=transport or org.transport, limiter=limiter
    )


async def _assign_through(clients: list[OktaClient], org: Org, n: int) -> tuple[str, list[str]]:
    """Create an app with the first client, then assign `n` users, spread over the clients."""
    app = await clients[0].create_bookmark_app("Shared - Site", launch_url("acc1"))
    users = [org.ctx.state.add_user(f"u{i}@example.com").id for i in range(n)]
    async with anyio.create_task_group() as group:
        for i, user in enumerate(users):
            group.start_soon(clients[i % len(clients)].assign_user, app.id, user)
    return app.id, users


@postgresql_only
async def test_two_limiters_sharing_the_budget_meet_no_429_and_keep_the_share(
    org: Org, db: Database
) -> None:
    # What `test_two_limiters_on_one_token_overshoot_a_little_and_converge` shows 429s for,
    # with the budget shared: not one.
    budgets = Budgets(db.sessions)
    recorded = recording(org)
    async with (
        shared_client(org, budgets, recorded) as first,
        shared_client(org, budgets, recorded) as second,
    ):
        app_id, users = await _assign_through([first, second], org, 160)

    assert set((await org.app_state(app_id))["users"]) == set(users)
    assert (await org.calls())["apps"] == {"calls": 161, "throttled": 0}
    per_window = Counter(math.floor(t / 60) for t, r in recorded.sent)
    assert max(per_window.values()) <= 50  # the token's share of the apps bucket
    by_client = [first.limiter.stats()["apps"].calls, second.limiter.stats()["apps"].calls]
    assert min(by_client) > 0
    assert sum(by_client) == 161


@postgresql_only
async def test_a_share_below_okta_s_is_kept_across_limiters(org: Org, db: Database) -> None:
    await org.control.put("/limits", json={"token_share": 1.0})  # Okta would allow 100
    budgets = Budgets(db.sessions)
    recorded = recording(org)
    async with (
        shared_client(org, budgets, recorded, share=0.3) as first,
        shared_client(org, budgets, recorded, share=0.3) as second,
        shared_client(org, budgets, recorded, share=0.3) as third,
    ):
        await _assign_through([first, second, third], org, 89)

    per_window = Counter(math.floor(t / 60) for t, r in recorded.sent)
    assert max(per_window.values()) <= 30
    assert (await org.calls())["apps"]["throttled"] == 0


@postgresql_only
async def test_the_token_is_never_stored_only_a_hash_of_it(org: Org, db: Database) -> None:
    async with shared_client(org, Budgets(db.sessions)) as okta:
        await okta.check_token()

    with db.sessions() as session:
        rows = session.scalars(select(OktaRateBudget)).all()
        dumped = session.execute(text("SELECT * FROM okta_rate_budgets")).all()
    assert [(r.token_key, r.bucket) for r in rows] == [(token_key(ORG_URL, org.token), "apps")]
    assert org.token not in repr(dumped)
    assert rows[0].window_limit == 50
    assert rows[0].used == 1
    assert rows[0].probe_until is None


def cut_pooled_connections(db: Database) -> None:
    """Terminate the backends of the pool's idle connections (a failover, a proxy restart): the
    pool does not know until it uses them (no pre-ping on loopback)."""
    with contextlib.ExitStack() as stack:
        idle = [stack.enter_context(db.engine.connect()) for _ in range(db.engine.pool.checkedin())]  # type: ignore[attr-defined]
        pids = [c.connection.dbapi_connection.info.backend_pid for c in idle]  # type: ignore[union-attr]
    killer = create_engine(db.engine.url, poolclass=NullPool)
    try:
        with killer.connect() as conn:
            for pid in pids:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        killer.dispose()


@postgresql_only
async def test_a_connection_dropped_while_reserving_is_tried_again_and_no_call_goes_unreserved(
    org: Org, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    budgets = Budgets(db.sessions)
    async with shared_client(org, budgets) as okta:
        await okta.check_token()
        cut_pooled_connections(db)
        await okta.check_token()  # its first reservation meets the dead connection
        await okta.check_token()

    assert "could not reserve Okta calls" in caplog.text
    assert (await org.calls())["apps"] == {"calls": 3, "throttled": 0}


async def test_without_its_database_a_limiter_sends_nothing_and_says_why(org: Org) -> None:
    from broker.db import make_engine, make_session_factory

    # Nothing listens on port 9 of loopback: every reservation fails to connect.
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:9/none", connect_timeout=2)
    try:
        budgets = Budgets(make_session_factory(engine))
        async with shared_client(org, budgets, budget_retries=1) as okta:
            with pytest.raises(BudgetUnavailable, match="budget is unavailable"):
                await okta.check_token()
    finally:
        engine.dispose()

    assert (await org.calls()).get("apps", {"calls": 0})["calls"] == 0


class _GaveUp(Exception):
    pass


@postgresql_only
async def test_a_probe_that_never_left_is_given_up_so_the_window_is_learnt_at_once(
    org: Org, db: Database
) -> None:
    # A create waits for its slot, then finds its create-started mark too old and gives the
    # slot back unsent (`sync/apply.py`): the window it was to learn must not stay unknown to
    # every worker until the probe times out.
    async def too_late() -> None:
        raise _GaveUp

    budgets = Budgets(db.sessions)
    async with shared_client(org, budgets) as okta:
        with pytest.raises(_GaveUp):
            await okta.create_bookmark_app("Late - Site", launch_url("acc1"), sending=too_late)
        with db.sessions() as session:
            row = session.scalars(select(OktaRateBudget)).one()
        assert row.probe_until == 0.0  # given up: whoever asks next probes at once
        assert okta.limiter.stats()["apps"].calls == 0  # Okta saw nothing
        await okta.check_token()  # the next call probes, and learns the window

    assert (await org.calls())["apps"] == {"calls": 1, "throttled": 0}
    with db.sessions() as session:
        row = session.scalars(select(OktaRateBudget)).one()
    assert row.probe_until is None
    assert row.window_limit == 50
