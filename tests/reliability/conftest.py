"""The fault-injection suite: sync and the CLI under the faults a deployment meets.

Workers are killed mid-sync, PostgreSQL connections are cut under them (`pg_terminate_backend`,
as a failover or a proxy restart does), transactions deadlock, Okta's lists lag behind its writes
and Okta answers HTML; the tests assert what an operator would check afterwards: one app per
extended account, exactly the right people assigned, nothing left in the outbox. They reuse the
sync suite's broker + sandbox pair (`tests/sync/conftest.py`). PostgreSQL-only cases skip, saying
why, when no server answers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
from sqlalchemy import Engine, text

from sync.worker import Worker
from tests.sync.conftest import _one_org_signing_key, env  # noqa: F401


class Hold(httpx.AsyncBaseTransport):
    """Holds the calls `matches` picks until opened: a sync caught at that point."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, matches: Callable[[httpx.Request], bool]
    ) -> None:
        self.inner = inner
        self.matches = matches
        self.reached = asyncio.Event()
        self.opened = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.matches(request) and not self.opened.is_set():
            self.reached.set()
            await self.opened.wait()
        return await self.inner.handle_async_request(request)


def app_listing(request: httpx.Request) -> bool:
    return request.method == "GET" and request.url.path == "/api/v1/apps"


def cut_lock_connection(engine: Engine, worker: Worker) -> None:
    """Terminate the backend that holds the worker's advisory locks (it does not notice yet)."""
    held = worker.locks._connection
    assert held is not None, "the worker holds no lock"
    pid = held.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
    # Autocommit: each look at pg_stat_activity is a fresh snapshot of it.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        # The backend frees its locks as it exits, a moment after the signal: wait for that.
        deadline = time.monotonic() + 5
        alive = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
        while conn.execute(alive, {"pid": pid}).scalar() and time.monotonic() < deadline:
            time.sleep(0.01)
