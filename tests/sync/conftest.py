"""A broker database and a sandbox Okta org side by side, and a sync worker between them.

The org runs in-process behind `httpx.ASGITransport`, on a clock 1000 times faster than the wall
clock (the client's limiter is told the same scale), so Okta's per-minute budgets cost
milliseconds. The workers' own clock (which ages create-started marks) runs on the wall clock and
jumps an hour with every `sync(later=True)`, as their outbox claims do. Changes are made through
the broker's domain services, each in its own committed transaction, the way the product makes
them.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.routing import Mount

from broker.context import BrokerContext
from broker.db import transaction
from broker.keyring import Keyring, new_master_key
from broker.models import Account, ItemRole, Member, OktaExtension, SyncOutbox, Workspace, utcnow
from broker.scim import PREFIX, routes
from broker.services import extensions, workspaces
from broker.settings import Secret, Settings
from broker.vault import Vault
from sandbox.org.app import create_org_app
from sandbox.org.context import OrgContext
from sandbox.org.limits import org_clock
from sandbox.org.oidc.keys import SigningKey
from sandbox.org.scim_client import ScimClient
from sandbox.org.state import OrgApp, OrgUser
from sync.apply import ApplySettings
from sync.clients import client_maker
from sync.desired import launch_url
from sync.okta import LimiterSettings
from sync.report import Tally
from sync.state import Strategy
from sync.worker import Worker, WorkerSettings
from tests.broker.builders import World
from tests.conftest import Database

BROKER = "http://127.0.0.1:8400"
ORG = "http://127.0.0.1:8410"
SCALE = 1000.0
# The listing lag tests give the org (`Consistency(list_lag=LISTING_LAG)`): a minute of org time,
# so no round of a test outlives it, and the workers' listing grace to match.
LISTING_LAG = 60_000.0
LISTING_GRACE = timedelta(seconds=LISTING_LAG / SCALE)


@cache
def _signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(autouse=True)
def _one_org_signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sandbox org makes an RSA key for its OIDC server (~0.1 s of CPU); sync never signs
    anyone in, so the orgs of these tests share one."""
    key = _signing_key()
    monkeypatch.setattr(SigningKey, "generate", classmethod(lambda cls: key))


@dataclass
class Env:
    db: Database
    vault: Vault
    org: OrgContext
    workspace_id: str
    world: World
    transport: httpx.AsyncBaseTransport
    worker: Worker
    offset: timedelta = timedelta(0)  # how far `later` rounds moved the workers' clock

    def now(self) -> datetime:
        """The workers' clock."""
        return utcnow() + self.offset

    @contextmanager
    def change(self) -> Iterator[World]:
        """A committed change made through the domain services."""
        with transaction(self.db.sessions) as session:
            self.world.session = session
            self.world.workspace = session.get_one(Workspace, self.workspace_id)
            yield self.world

    def person(self, *, okta: bool = True, **kwargs: object) -> Member:
        """A member, provisioned in the org too when they have an Okta id."""
        with self.change() as world:
            member = world.member(okta=okta, **kwargs)  # type: ignore[arg-type]
        if member.external_id:
            with self.org.state.locked() as state:
                state.users[member.external_id] = OrgUser(
                    member.external_id, member.email, member.email, "Test", member.name
                )
        return member

    def extended(self, owner: Member, *, name: str | None = None) -> Account:
        """A new account, owned by `owner` and extended by them."""
        with self.change() as world:
            account = world.account()
            if name is not None:
                account.name = name
            world.share(owner, account, ItemRole.OWNER)
            extensions.extend_account(world.session, world.session.merge(owner), account.id)
        return account

    def make_worker(
        self,
        strategy: Strategy = Strategy.INDIVIDUAL,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        **kwargs: object,
    ) -> Worker:
        return Worker(
            self.db.sessions,
            self.vault,
            BROKER,
            make_client=client_maker(
                transport=transport or self.transport,
                limiter_settings=LimiterSettings(time_scale=SCALE),
            ),
            settings=WorkerSettings(
                **{  # type: ignore[arg-type]
                    "strategy": strategy,
                    "apply": ApplySettings(),
                    "backoff_base_s": 0.0,
                    "listing_grace": LISTING_GRACE,
                    **kwargs,  # any of them, overridden
                }
            ),
            clock=self.now,
        )

    async def sync(self, worker: Worker | None = None, *, later: bool = False) -> Tally:
        """One round of the worker (`later`: an hour later, every backoff and grace over)."""
        if later:
            self.offset += timedelta(hours=1)
        return await (worker or self.worker).run_due(now=self.now() if later else None)

    # -- what Okta holds ------------------------------------------------------------------------

    def apps(self, account: Account) -> list[OrgApp]:
        url = launch_url(BROKER, account.id)
        with self.org.state.locked() as state:
            return [a for a in state.apps.values() if a.settings["app"]["url"] == url]  # type: ignore[index]

    def app(self, account: Account) -> OrgApp:
        apps = self.apps(account)
        assert len(apps) == 1, f"expected one app, found {len(apps)}"
        return apps[0]

    def assigned(self, account: Account) -> set[str]:
        return set(self.app(account).user_ids)

    # -- what the broker recorded ---------------------------------------------------------------

    def extension(self, account: Account) -> OktaExtension | None:
        with self.db.sessions() as session:
            return session.get(OktaExtension, account.id)

    def queued(self) -> set[str]:
        with self.db.sessions() as session:
            return set(session.scalars(select(SyncOutbox.account_id)))

    def workspace(self) -> Workspace:
        with self.db.sessions() as session:
            return session.get_one(Workspace, self.workspace_id)


def okta_ids(*members: Member) -> set[str]:
    return {m.external_id for m in members if m.external_id}


@pytest.fixture
async def okta_scim(env: Env, tmp_path: Path) -> AsyncIterator[ScimClient]:
    """Okta's SCIM client, pointed at the broker's SCIM routes of the env's workspace."""
    token = secrets.token_urlsafe(32)
    settings = Settings(
        data_dir=tmp_path,
        database_url="sqlite://",  # unused: the context carries the env's sessions
        master_key_file=tmp_path / "master.keys",
        broker_url=BROKER,
        workspace_name=env.workspace().name,
        scim_token=Secret(token),
    )
    app = Starlette(
        routes=[Mount(PREFIX, routes=routes(BrokerContext(settings, env.db.sessions, env.vault)))]
    )
    transport = httpx.ASGITransport(app=app)
    async with ScimClient(BROKER + PREFIX, token, transport=transport) as client:
        yield client


@pytest.fixture
def env(db: Database) -> Env:
    vault = Vault(Keyring([new_master_key()]))
    token = secrets.token_urlsafe(30)
    org = OrgContext(base_url=ORG, api_token=token)
    org_clock(org).set_scale(SCALE)
    with transaction(db.sessions) as session:
        workspace = workspaces.create_workspace(session, "Acme")
        workspaces.set_okta_domain(session, workspace.id, ORG)
        workspaces.set_okta_token(session, workspace.id, token, vault=vault)
        workspaces.set_extended_access(session, workspace.id, True)
        world = World(session, vault, workspace)
    transport = httpx.ASGITransport(create_org_app(org))
    environment = Env(db, vault, org, workspace.id, world, transport, None)  # type: ignore[arg-type]
    environment.worker = environment.make_worker()
    return environment
