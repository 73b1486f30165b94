"""Several `latchkey worker` processes on one PostgreSQL database and one Okta API token, as a
deployment runs them, against the sandbox org over HTTP:

- they share the token's rate-limit budget (`sync/budget.py`): across window ends, the org
  answers no 429 and no window holds more calls than the share the workers were given;
- an account is synced by one worker at a time (`sync/locks.py`): while one worker is inside an
  account's sync, the other claims the account's new change and leaves it alone.

Skipped, saying so, without PostgreSQL.
"""

from __future__ import annotations

import math
import re
import secrets
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from broker.models import Account, ItemRole, OktaExtension, SyncOutbox, Workspace, utcnow
from broker.services import extensions, workspaces
from sandbox.org.state import OrgUser
from sync.desired import launch_url
from tests.broker.builders import World
from tests.deployment import Broker, Processes, RecordedOrg, eventually, postgres_database

pytestmark = pytest.mark.slow

BROKER_URL = "http://127.0.0.1:8400"


class Deployment:
    """A workspace extended to the sandbox org, made through the domain services."""

    def __init__(self, broker: Broker, org: RecordedOrg) -> None:
        self.broker = broker
        self.org = org
        with broker.change() as session:
            workspace = workspaces.create_workspace(session, "Acme")
            workspaces.set_okta_domain(session, workspace.id, org.url)
            workspaces.set_okta_token(session, workspace.id, org.token, vault=broker.vault)
            workspaces.set_extended_access(session, workspace.id, True)
        self.workspace_id = workspace.id
        self.world = World(None, broker.vault, workspace)  # type: ignore[arg-type]

    def world_in(self, session: object) -> World:
        self.world.session = session  # type: ignore[assignment]
        self.world.workspace = self.world.session.get_one(Workspace, self.workspace_id)
        return self.world

    def people_with_accounts(self, n: int) -> list[tuple[str, str]]:
        """`n` members provisioned in Okta, each owning an extended account: (account, okta id)."""
        made: list[tuple[str, str]] = []
        with self.broker.change() as session:
            world = self.world_in(session)
            for _ in range(n):
                owner = world.member()
                account = world.account()
                world.share(owner, account, ItemRole.OWNER)
                extensions.extend_account(session, owner, account.id)
                assert owner.external_id is not None
                made.append((account.id, owner.external_id))
                self.provision(owner.external_id, owner.email)
        return made

    def provision(self, okta_id: str, email: str) -> None:
        assert self.org.ctx is not None
        with self.org.ctx.state.locked() as state:
            state.users[okta_id] = OrgUser(okta_id, email, email, "Test", email)

    def settled(self) -> bool:
        with self.broker.sessions() as session:
            queued = session.scalar(select(func.count()).select_from(SyncOutbox))
            missing = session.scalar(
                select(func.count())
                .select_from(OktaExtension)
                .where(OktaExtension.okta_app_id.is_(None))
            )
        return queued == 0 and missing == 0

    def assigned(self, account_id: str) -> list[set[str]]:
        """The users of each app whose launch URL is the account's (one app: one set)."""
        assert self.org.ctx is not None
        url = launch_url(BROKER_URL, account_id)
        with self.org.ctx.state.locked() as state:
            return [
                set(app.user_ids)
                for app in state.apps.values()
                if app.settings["app"]["url"] == url  # type: ignore[index]
            ]


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Broker, Processes]]:
    with postgres_database() as url:
        broker = Broker(url, tmp_path, extra_env={"LATCHKEY_BROKER_URL": BROKER_URL})
        processes = Processes(tmp_path)
        try:
            yield broker, processes
        finally:
            processes.stop_all()
            broker.close()


def worker_args(*extra: str) -> list[str]:
    return ["worker", "--poll-interval", "0.1", "--full-pass-interval", "0", *extra]


def apps_calls(summary: str) -> int:
    found = re.search(r"API calls, bucket apps\s*\S\s*(\d+)", summary)
    return int(found.group(1)) if found else 0


SCALE = 30.0  # an Okta minute in 2 s
SHARE = 0.4  # of the apps bucket's 100 a minute: 40 a window for both workers together


def test_two_workers_on_one_token_share_its_budget_across_window_ends(
    running: tuple[Broker, Processes],
) -> None:
    broker, processes = running
    org = RecordedOrg("00" + secrets.token_urlsafe(30), scale=SCALE)
    with org.running():
        deployment = Deployment(broker, org)
        owned = deployment.people_with_accounts(70)  # ~150 calls in the apps bucket
        args = worker_args(
            "--batch-size", "5", "--share", str(SHARE), "--okta-time-scale", str(SCALE)
        )
        for name in ("first", "second"):
            processes.start(name, args, broker.env())

        done = eventually(deployment.settled, 180, every=0.25)
        summaries = {name: processes.stop(name) for name in ("first", "second")}

        assert done, f"not synced in time; worker logs: {summaries}"
        assert all(deployment.assigned(account) == [{user}] for account, user in owned)
        calls = org.recorded()

    # Okta's (the sandbox's) own count: no 429 in any bucket, though the org allows 50 a
    # window and the workers ran into their 40 a window again and again.
    assert org.throttled().get("apps", 0) == 0
    assert sum(org.throttled().values()) == 0
    assert all(call.status != 429 for call in calls)
    per_window = Counter(call.window for call in calls if call.bucket == "apps")
    allowed = math.floor(100 * SHARE)
    assert max(per_window.values()) <= allowed, per_window
    assert sum(1 for n in per_window.values() if n == allowed) >= 2, per_window  # windows filled
    assert len(per_window) >= 3  # window ends crossed
    # Both processes spent from the one budget.
    spent = [apps_calls(out) for out, _ in summaries.values()]
    assert min(spent) > 0, summaries
    assert sum(spent) == sum(per_window.values())  # every call the workers made, Okta saw


def test_an_account_is_synced_by_one_worker_process_at_a_time(
    running: tuple[Broker, Processes],
) -> None:
    broker, processes = running
    org = RecordedOrg("00" + secrets.token_urlsafe(30))
    # The first Okta call of the first sync is held: that worker is inside the account's sync.
    org.hold(lambda method, path: True)
    with org.running():
        deployment = Deployment(broker, org)
        [(account_id, owner)] = deployment.people_with_accounts(1)
        for name in ("first", "second"):
            processes.start(name, worker_args(), broker.env())
        try:
            assert org.held.wait(60), "no worker started the sync"

            # A change while it syncs: the account is due again at once, for any worker.
            with broker.change() as session:
                world = deployment.world_in(session)
                reader = world.member()
                world.share(reader, session.get_one(Account, account_id))
            changed = utcnow()
            assert reader.external_id is not None
            deployment.provision(reader.external_id, reader.email)

            def left_alone() -> bool:
                # The other worker claimed the change, found the account locked and put it
                # back for a second later (a claim it was still working on would be 30 s out).
                with broker.sessions() as session:
                    row = session.get(SyncOutbox, account_id)
                return row is not None and changed < row.due_at <= changed + timedelta(seconds=5)

            eventually(lambda: left_alone() or bool(org.recorded()), 30)
            # Nobody else called Okta for it meanwhile ...
            assert org.recorded() == [], "another worker synced the account at the same time"
            # ... though the other worker did claim its change.
            assert left_alone(), "the other worker never claimed the account's change"
        finally:
            org.released.set()

        assert eventually(deployment.settled, 60)
        assert deployment.assigned(account_id) == [{owner, reader.external_id}]
    assert sum(org.throttled().values()) == 0
