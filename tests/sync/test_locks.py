"""An account is synced by one worker at a time: in process always, across processes on
PostgreSQL (advisory locks), and a crashed worker's accounts are free again at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest

from sync.locks import AccountLocks
from tests.conftest import Database
from tests.sync.conftest import Env, okta_ids

pytestmark = pytest.mark.anyio
postgresql_only = pytest.mark.parametrize("db", ["postgresql"], indirect=True)


def test_an_account_in_flight_is_not_handed_out_twice(db: Database) -> None:
    locks = AccountLocks(db.engine)

    assert locks.acquire({"a", "b"}) == {"a", "b"}
    assert locks.acquire({"b", "c"}) == {"c"}
    locks.release({"b"})
    assert locks.acquire({"b"}) == {"b"}
    locks.close()
    assert locks.held == frozenset()


@postgresql_only
def test_an_account_locked_by_one_worker_is_refused_to_another(db: Database) -> None:
    mine, theirs = AccountLocks(db.engine), AccountLocks(db.engine)
    try:
        assert mine.acquire({"a", "b"}) == {"a", "b"}
        assert theirs.acquire({"b", "c"}) == {"c"}

        mine.release({"b"})
        assert theirs.acquire({"b"}) == {"b"}
        assert mine.acquire({"b"}) == set()
    finally:
        mine.close()
        theirs.close()


@postgresql_only
def test_a_crashed_workers_accounts_are_free_at_once(db: Database) -> None:
    dead, alive = AccountLocks(db.engine), AccountLocks(db.engine)
    try:
        assert dead.acquire({"a"}) == {"a"}
        assert dead._connection is not None
        dead._connection.invalidate()  # the process dies: its connection closes

        # The server frees the locks as soon as its backend sees the socket close.
        assert eventually(lambda: alive.acquire({"a"}) == {"a"})
    finally:
        alive.close()


def eventually(check: Callable[[], bool], seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class Gate(httpx.AsyncBaseTransport):
    """Holds the first assignment call until opened: a sync caught in the middle."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.reached = asyncio.Event()
        self.opened = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/users"):
            self.reached.set()
            await self.opened.wait()
        return await self.inner.handle_async_request(request)


@postgresql_only
async def test_two_workers_never_sync_one_account_at_once(env: Env) -> None:
    owner, reader = env.person(), env.person()
    account = env.extended(owner)
    gate = Gate(env.transport)
    first, second = env.make_worker(transport=gate), env.make_worker()
    try:
        syncing = asyncio.create_task(env.sync(first))
        await asyncio.wait_for(gate.reached.wait(), 5)  # app created, owner being assigned
        with env.change() as world:
            world.share(reader, account)  # due again at once: the other worker claims it

        raced = await env.sync(second)

        assert raced.total_calls == 0
        assert env.queued() == {account.id}
        gate.opened.set()
        await syncing
        await env.sync(second, later=True)
    finally:
        await first.aclose()
        await second.aclose()

    assert env.assigned(account) == okta_ids(owner, reader)  # one app, both users
    assert env.queued() == set()
