"""The database fails under the worker: rounds fail and the worker goes on, deadlocks are run
again or never happen, and no statement or connection waits for ever."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.exc import OperationalError

from broker.db import make_engine, transaction
from broker.models import SyncOutbox
from broker.outbox import request_sync
from sync.claims import Claim
from sync.reconcile import Outcome, Result
from sync.report import Tally
from tests.conftest import Database
from tests.sync.conftest import Env, okta_ids

pytestmark = pytest.mark.anyio
postgresql_only = pytest.mark.parametrize("db", ["postgresql"], indirect=True)


class _Deadlock(Exception):
    sqlstate = "40P01"  # what psycopg's DeadlockDetected carries


@contextmanager
def failing(
    engine: Engine, matches: Callable[[str], bool], times: int, error: Callable[[str], Exception]
) -> Iterator[list[str]]:
    """The first `times` statements that `matches` picks fail with `error` (then all pass)."""
    failed: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if matches(statement) and len(failed) < times:
            failed.append(statement)
            raise error(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield failed
    finally:
        event.remove(engine, "before_cursor_execute", before)


def cut(statement: str) -> Exception:
    return OperationalError(statement, {}, Exception("server closed the connection unexpectedly"))


def deadlock(statement: str) -> Exception:
    return OperationalError(statement, {}, _Deadlock("deadlock detected"))


async def test_the_worker_loop_survives_rounds_the_database_fails(env: Env) -> None:
    owner = env.person()
    account = env.extended(owner)
    stop = asyncio.Event()
    claims = lambda sql: sql.lstrip().upper().startswith("UPDATE SYNC_OUTBOX")  # noqa: E731
    with failing(env.db.engine, claims, 3, cut) as failed:
        running = asyncio.create_task(
            env.worker.run(poll_interval=0.01, full_pass_interval=None, stop=stop)
        )
        for _ in range(200):
            if not env.queued() or running.done():
                break
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(running, 5)  # it ended because it was told to, not by an error

    assert len(failed) == 3
    assert env.queued() == set()
    assert env.assigned(account) == okta_ids(owner)


async def test_a_transaction_the_database_aborts_to_break_a_deadlock_runs_again(
    env: Env,
) -> None:
    owner = env.person()
    account = env.extended(owner)
    settle = lambda sql: sql.lstrip().upper().startswith("DELETE FROM SYNC_OUTBOX")  # noqa: E731
    with failing(env.db.engine, settle, 1, deadlock) as failed:
        tally = await env.sync()

    assert len(failed) == 1
    assert tally.synced == 1
    assert env.queued() == set()
    assert env.assigned(account) == okta_ids(owner)


@postgresql_only
async def test_a_change_and_the_worker_recording_outcomes_never_deadlock(env: Env) -> None:
    """A change queues many accounts while the worker records the outcomes of the same ones:
    both lock the outbox rows in one order, so one waits for the other and both commit."""
    owner = env.person()
    made = [env.extended(owner) for _ in range(6)]
    ids = [a.id for a in made]
    await env.sync()
    with transaction(env.db.sessions) as session:
        request_sync(session, ids, "test")
        rows = session.execute(select(SyncOutbox.account_id, SyncOutbox.version)).all()
    claimed = {a: Claim(a, env.workspace_id, v, 0) for a, v in rows}
    # Outcomes in the order least like the change's own.
    outcomes = [Outcome(a, Result.DEFERRED, retry_after=60.0) for a in sorted(ids, reverse=True)]

    def slow(sql: str) -> bool:
        return "sync_outbox" in sql.lower()

    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def change() -> None:
        try:
            start.wait()
            with transaction(env.db.sessions) as session:
                request_sync(session, list(reversed(ids)), "a collection moved")
        except BaseException as error:
            errors.append(error)

    def pause(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if slow(statement):
            time.sleep(0.03)  # statements interleave: each transaction holds some rows

    event.listen(env.db.engine, "before_cursor_execute", pause)
    try:
        changing = threading.Thread(target=change)
        changing.start()
        start.wait()
        await env.worker._record(env.workspace_id, outcomes, claimed, Tally(), unchecked=False)
        changing.join(10)
    finally:
        event.remove(env.db.engine, "before_cursor_execute", pause)

    assert errors == []
    with env.db.sessions() as session:
        versions = dict(session.execute(select(SyncOutbox.account_id, SyncOutbox.version)).all())
    assert all(versions[a] >= claimed[a].version + 1 for a in ids)  # the change committed


@pytest.mark.parametrize(
    ("engine_name", "slow_query"),
    [
        (
            "sqlite",
            "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) "
            "SELECT count(*) FROM r",
        ),
        ("postgresql", "SELECT pg_sleep(30)"),
    ],
)
def test_a_statement_past_its_timeout_fails_instead_of_hanging(
    engine_name: str,
    slow_query: str,
    tmp_path: Any,
    request: pytest.FixtureRequest,
) -> None:
    if engine_name == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'slow.db'}", statement_timeout=0.3)
    else:
        database: Database = request.getfixturevalue("_postgres_db")
        url = database.engine.url.render_as_string(hide_password=False)
        engine = make_engine(url, statement_timeout=0.3)
    started = time.monotonic()
    try:
        with pytest.raises(OperationalError), engine.connect() as conn:
            conn.execute(text(slow_query))
        with engine.connect() as conn:  # the connection is fine for the next statement
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
    assert time.monotonic() - started < 5
