"""Chaos: workers syncing one workspace while people keep changing it, and everything fails.

Workers are killed mid-sync (their transport dies at a random call: nothing after it runs) and
restarted; on PostgreSQL three run at once and their lock connections are cut under them
(`pg_terminate_backend`); the database aborts some of their statements (a cut connection, a
deadlock victim); Okta answers 500 and 503 now and then, slowly, and its lists lag behind its
writes. Then the faults stop, and plain rounds (never a full pass, which would hide a lost outbox
row) must bring Okta exactly in step: one app per extended account, exactly the people who may
launch it assigned, no other app, and an empty outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from broker.db import run_transaction
from broker.errors import DomainError
from broker.models import ItemRole, Member, Workspace
from broker.services import accounts, extensions, shares
from sandbox.org.faults import Consistency, Fault, fault_injector
from sync.worker import Worker
from tests.reliability.conftest import cut_lock_connection
from tests.reliability.in_step import apps_in_state, out_of_step
from tests.sync.conftest import BROKER, Env
from tests.sync.test_faults import Crash, Dying, converge

pytestmark = pytest.mark.anyio

CHURN_SECONDS = 4.0
# Org seconds (the org runs 1000 times faster): 0.5 s of real lag, a whole second under the
# workers' grace, so a stalled CPU (the suite runs beside the browser tests) cannot cross it.
LIST_LAG, GRACE = 500.0, timedelta(seconds=1.5)


class _Deadlock(Exception):
    sqlstate = "40P01"


def _database_faults(env: Env, rng: random.Random) -> Callable[[], None]:
    """Some statements of the workers (never of the people changing things) fail."""
    main = threading.main_thread()

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread() is main or "sync_outbox" not in statement:
            return
        roll = rng.random()
        if roll < 0.03:
            raise OperationalError(statement, {}, Exception("server closed the connection"))
        if roll < 0.06:
            raise OperationalError(statement, {}, _Deadlock("deadlock detected"))

    event.listen(env.db.engine, "before_cursor_execute", before)
    return lambda: event.remove(env.db.engine, "before_cursor_execute", before)


class Chaos:
    def __init__(self, env: Env, seed: int) -> None:
        self.env = env
        self.rng = random.Random(seed)
        self.people: list[Member] = []
        self.owner: Member | None = None
        self.accounts: list[str] = []
        self.kills = self.cuts = self.changes = 0
        self.second_apps: set[str] = set()  # launch URLs that ever had two apps at once

    def look_for_second_apps(self) -> None:
        with self.env.org.state.locked() as state:
            urls = [app.settings["app"]["url"] for app in state.apps.values()]  # type: ignore[index]
        self.second_apps |= {url for url in urls if urls.count(url) > 1}

    def change(self, work: Callable[[Session, Workspace, Member], object]) -> None:
        def run(session: Session) -> None:
            workspace = session.get_one(Workspace, self.env.workspace_id)
            assert self.owner is not None
            work(session, workspace, session.get_one(Member, self.owner.id))

        try:
            run_transaction(self.env.db.sessions, run)
            self.changes += 1
        except DomainError:
            pass  # refused (already shared, not shared, deleted): people make such mistakes

    def extend_new(self) -> None:
        def work(session: Session, workspace: Workspace, owner: Member) -> None:
            self.env.world.session, self.env.world.workspace = session, workspace
            account = self.env.world.account()
            self.env.world.share(owner, account, ItemRole.OWNER)
            extensions.extend_account(session, owner, account.id)
            self.accounts.append(account.id)

        self.change(work)

    def one_change(self) -> None:
        rng, live = self.rng, self.accounts
        roll = rng.random()
        if roll < 0.08 or not live:
            self.extend_new()
            return
        account_id = rng.choice(live)
        person = rng.choice(self.people)
        subject, target = shares.Subject(member_id=person.id), shares.Target(account_id=account_id)
        if roll < 0.50:
            role = ItemRole.COLLABORATOR
            self.change(lambda s, w, o: shares.share(s, w.id, subject, target, role))
        elif roll < 0.85:
            self.change(lambda s, w, o: shares.unshare(s, w.id, subject, target))
        elif roll < 0.93:
            name = f"Renamed {rng.randrange(10**6)}"
            self.change(lambda s, w, o: accounts.rename_account(s, w.id, account_id, name=name))
        elif roll < 0.97:
            self.change(lambda s, w, o: accounts.delete_account(s, w.id, account_id))
            live.remove(account_id)
        else:
            self.change(lambda s, w, o: extensions.remove_from_okta(s, o, account_id))
            live.remove(account_id)


async def test_okta_ends_exactly_in_step_after_kills_cuts_deadlocks_and_lagging_lists(
    env: Env,
) -> None:
    postgres = env.db.engine_name == "postgresql"
    chaos = Chaos(env, seed=14)
    chaos.owner = env.person()
    chaos.people = [env.person() for _ in range(6)]
    for _ in range(8):
        chaos.extend_new()
    faults = fault_injector(env.org)
    faults.consistency = Consistency(list_lag=LIST_LAG, get_lag=LIST_LAG / 3)
    for status in (500, 503):
        faults.add(Fault("/api/v1/apps*", status=status, rate=0.05))
    faults.add(Fault("/api/v1/*", status=None, latency=20.0))
    stop_database_faults = _database_faults(env, chaos.rng)

    stop = asyncio.Event()
    settings: dict[str, Any] = {"lease": timedelta(seconds=1), "heartbeat": timedelta(seconds=0.2)}
    workers: list[tuple[Worker, asyncio.Task[Any], Dying]] = []
    dead: list[Worker] = []

    def start() -> None:
        calls = chaos.rng.randrange(3, 40)  # killed after that many Okta calls
        dying = Dying(env.transport, calls)
        worker = env.make_worker(transport=dying, listing_grace=GRACE, **settings)
        run = worker.run(poll_interval=0.02, full_pass_interval=1.5, stop=stop)
        workers.append((worker, asyncio.create_task(run), dying))

    for _ in range(3 if postgres else 1):
        start()
    deadline = time.monotonic() + CHURN_SECONDS
    next_cut = next_kill = time.monotonic() + 0.5
    try:
        while time.monotonic() < deadline:
            chaos.one_change()
            chaos.look_for_second_apps()
            if time.monotonic() >= next_kill:
                chaos.rng.choice(workers)[2].left = 0  # SIGKILL: its next call is its last
                next_kill = time.monotonic() + 0.6
            for entry in list(workers):
                worker, task, _ = entry
                if task.done():
                    assert isinstance(task.exception(), Crash), task.exception()
                    chaos.kills += 1
                    workers.remove(entry)
                    dead.append(worker)
                    start()
            if postgres and time.monotonic() >= next_cut:
                for worker, _, _ in workers:
                    if worker.locks._connection is not None:
                        cut_lock_connection(env.db.engine, worker)
                        chaos.cuts += 1
                next_cut = time.monotonic() + 0.4
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        for worker, task, _ in workers:
            with contextlib.suppress(Crash):
                await asyncio.wait_for(task, 10)
            await worker.aclose()
        for worker in dead:
            await worker.aclose()
        stop_database_faults()
    faults.clear()
    faults.consistency = Consistency()

    await converge(env, rounds=20)

    assert chaos.second_apps == set()  # not at the end only: never, at any moment
    assert chaos.kills >= 2
    assert chaos.cuts >= (2 if postgres else 0)
    assert chaos.changes >= 20
    assert_exactly_in_step(env)


def assert_exactly_in_step(env: Env) -> None:
    with env.org.state.locked() as state:
        apps = apps_in_state(state)
    with env.db.sessions() as session:
        assert out_of_step(session, env.workspace_id, BROKER, apps) == []
