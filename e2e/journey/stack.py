"""The whole product on loopback, set up the way a real deployment is: `serve_stack(config)`.

In order: the sandbox Okta org (with the broker's OIDC client registered for the broker's real
redirect URI), the demo login sites (with the accounts the vault holds), the broker itself under
uvicorn (its settings pointing at the org, the extension's origin allow-listed), then the
admin's and the owner's part of the journey (DESIGN.md, steps 1-4): the demo workspace seeded,
its people provisioned over SCIM by the org (so their external ids are the org's user ids), the
workspace's Okta domain and API token set and tested, every account extended, and one sync pass
so the Bookmark apps and their assignments exist in the org.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from collections.abc import Callable, Coroutine, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp

from broker.actions import settings as settings_actions
from broker.context import BrokerContext
from broker.db import make_engine, make_session_factory, transaction
from broker.keyring import generate_keyring, load_keyring
from broker.migrate import upgrade
from broker.models import Member, OktaExtension, SyncState
from broker.scim import PREFIX as SCIM_PREFIX
from broker.seed import OWNER, DemoLogin, DemoWorkspace, seed_demo
from broker.services import extensions, workspaces
from broker.settings import Secret, Settings
from broker.vault import Vault
from broker.web.app import create_app
from e2e.browser import EXTENSION_ID
from sandbox import seed as org_seed
from sandbox.apps import SITES, SiteSeed, create_apps_app, demo_seed
from sandbox.serve import RunningOrg, serve, serve_org
from sync.connection_check import OktaConnectionCheck
from sync.report import Tally
from sync.worker import Worker

T = TypeVar("T")
logger = logging.getLogger(__name__)
EXTENSION_ORIGIN = f"chrome-extension://{EXTENSION_ID}"
_APP_NAMES = {
    "single": "Single page",
    "stepwise": "Two steps",
    "stepwise-js": "Scripted steps",
    "totp": "Code step",
    "totp-split": "Code in boxes",
}


class JourneyError(Exception):
    """A step of the setup did not give what a real deployment would: the stack is not usable."""


@dataclass(frozen=True)
class StackConfig:
    """Where the stack runs. Ports 0 pick free ones (the tests); the defaults are DESIGN.md's."""

    data_dir: Path
    host: str = "127.0.0.1"
    broker_port: int = 8400
    org_port: int = 8410
    sites_port: int = 8420
    # The demo sites' accounts (the vault gets the same ones); fresh random ones when None.
    sites: Sequence[SiteSeed] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ExtendedAccount:
    site: str  # the demo site's key
    account_id: str
    name: str
    label: str  # the chiclet's label in Okta: "<account> - <app>"
    username: str  # on the demo site (not a secret: the site's success page shows it)


@dataclass
class Stack:
    broker_url: str
    org_url: str
    sites_url: str
    org: RunningOrg
    broker: BrokerContext
    demo: DemoWorkspace
    accounts: dict[str, ExtendedAccount]  # by site key
    data_dir: Path
    sites: tuple[SiteSeed, ...] = field(repr=False)  # the demo sites' secrets: never shown

    @property
    def dashboard_url(self) -> str:
        return f"{self.org_url}/app/UserHome"

    def launch_url(self, site: str) -> str:
        return f"{self.broker_url}/launch/{self.accounts[site].account_id}"

    def sync(self) -> Tally:
        """One sync pass (a full pass and a round), as `latchkey worker --once` runs it."""
        return sync_pass(self.broker)

    def keep_syncing(self, stop: threading.Event, poll_s: float = 1.0) -> None:
        """Sync due accounts every `poll_s` until `stop` is set, as `latchkey worker` does."""

        async def rounds() -> None:
            worker = Worker(self.broker.sessions, self.broker.vault, self.broker_url)
            try:
                while not stop.is_set():
                    try:
                        await worker.run_due()
                    except Exception:  # a round that failed is retried; the next may not fail
                        logger.exception("a sync round failed")
                    await asyncio.sleep(poll_s)
            finally:
                await worker.aclose()

        asyncio.run(rounds())

    def control(self, method: str, path: str, body: object | None = None) -> httpx.Response:
        """The org's control plane (`/_sandbox`): an admin in Okta's Admin Console."""
        response = httpx.request(method, f"{self.org_url}/_sandbox{path}", json=body, timeout=30)
        if response.status_code >= 400:
            raise JourneyError(f"{method} /_sandbox{path}: {response.status_code} {response.text}")
        return response

    def deactivate_in_okta(self, login: str) -> None:
        """The admin deactivates the person in Okta: Okta sends SCIM `active: false` to the broker
        (every broker session and extension credential of theirs ends) and ends their Okta
        sessions."""
        self.control("POST", f"/scim/users/{login}/deactivate")

    def reactivate_in_okta_only(self, login: str) -> None:
        """The person is active in Okta again without a SCIM push: what Okta's state is when the
        admin unassigned them from Latchkey's provisioning app alone (they keep signing in to
        Okta and see whatever chiclets are still assigned)."""
        with self.org.ctx.state.locked() as state:
            user = state.user_by_login(login)
            if user is None:
                raise JourneyError(f"no user {login} in the org")
            user.status = "ACTIVE"

    def unassign_from_latchkey(self, login: str) -> None:
        """Okta's SCIM deactivation of a person who stays active in Okta (unassigned from the
        provisioning app): SCIM `active: false` through the org's control plane, then the
        person's Okta status restored."""
        self.deactivate_in_okta(login)
        self.reactivate_in_okta_only(login)


def _run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to the end in a thread of its own: the caller's thread may already run an
    event loop (Playwright's sync API does)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def sync_pass(ctx: BrokerContext) -> Tally:
    async def run() -> Tally:
        worker = Worker(ctx.sessions, ctx.vault, ctx.settings.broker_url)
        try:
            return await worker.run(once=True)
        finally:
            await worker.aclose()

    return _run(run)


def _vault(settings: Settings) -> Vault:
    if not settings.master_key_file.exists() and settings.master_keys is None:
        generate_keyring(settings.master_key_file)
    return Vault(load_keyring(settings))


def _logins(seeds: Sequence[SiteSeed], sites_url: str) -> list[DemoLogin]:
    return [
        DemoLogin(
            name=entry.name,
            app_name=_APP_NAMES.get(entry.site, entry.site),
            login_url=entry.login_url(sites_url),
            username=entry.username,
            password=entry.password,
            totp_secret=entry.totp_secret,
        )
        for entry in seeds
    ]


def _register_redirect_uri(org: RunningOrg, broker_url: str) -> None:
    """The broker's OIDC client in the org, with the redirect URI of the port it really has."""
    with org.ctx.state.locked() as state:
        client = state.oidc_clients[org_seed.BROKER_CLIENT.client_id]
        client.redirect_uris = [broker_url.rstrip("/") + "/auth/callback"]


def _provision(stack: Stack, scim_token: str) -> None:
    """Okta provisions the org's people into the broker over SCIM, as a real org does."""
    stack.control(
        "PUT", "/scim/target", {"url": stack.broker_url + SCIM_PREFIX, "token": scim_token}
    )
    for user in org_seed.SEED_USERS:
        stack.control("POST", f"/scim/users/{user.login}/push")
    with stack.broker.sessions() as db:
        for user in org_seed.SEED_USERS:
            member = db.get(Member, stack.demo.member_ids[user.login])
            if member is None or member.external_id != user.id:
                raise JourneyError(f"SCIM did not link {user.login} to Okta user {user.id}")


def _connect_and_extend(stack: Stack, api_token: str) -> None:
    """The admin's settings (domain, token, Test connection), then the owner extends."""
    ctx = stack.broker
    owner_id = stack.demo.member_ids[OWNER]
    with transaction(ctx.sessions) as db:
        ws = stack.demo.workspace_id
        workspaces.set_extended_access(db, ws, True, actor_id=owner_id)
        workspaces.set_okta_domain(db, ws, stack.org_url, actor_id=owner_id)
        workspaces.set_okta_token(db, ws, api_token, vault=ctx.vault, actor_id=owner_id)
    check = OktaConnectionCheck()
    result = _run(lambda: settings_actions.test_connection(ctx, owner_id, check))
    if not result.ok:
        raise JourneyError(f"Test connection failed: {result.summary}")
    with transaction(ctx.sessions) as db:
        owner = db.get_one(Member, owner_id)
        for account in stack.accounts.values():
            extensions.extend_account(db, owner, account.account_id)


def _check_synced(sessions: sessionmaker[Session], stack: Stack, tally: Tally) -> None:
    with sessions() as db:
        rows = db.scalars(select(OktaExtension)).all()
        failed = [r for r in rows if r.sync_state is not SyncState.SYNCED]
        if failed or len(rows) != len(stack.accounts):
            raise JourneyError(f"sync left accounts unsynced: {tally.errors or failed}")
        labels = {r.account_id: r.label for r in rows}
    for site, account in stack.accounts.items():
        stack.accounts[site] = replace(account, label=labels[account.account_id] or "")


@contextmanager
def serve_stack(
    config: StackConfig, *, say: Callable[[str], None] | None = None
) -> Iterator[Stack]:
    """Everything up, provisioned, extended and synced, until the block ends; `say` hears each
    step as it is done."""
    tell = say or (lambda _line: None)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    seeds = tuple(config.sites) if config.sites is not None else demo_seed()
    by_key = {entry.site: entry for entry in seeds}
    ordered = tuple(by_key[s.key] for s in SITES if s.key in by_key)
    api_token = "00" + secrets.token_urlsafe(30)
    scim_token = secrets.token_urlsafe(32)
    settings = Settings(
        data_dir=config.data_dir,
        database_url=f"sqlite:///{config.data_dir / 'latchkey.db'}",
        master_key_file=config.data_dir / "master.keys",
        oidc_client_id=org_seed.BROKER_CLIENT.client_id,
        oidc_client_secret=Secret(org_seed.BROKER_CLIENT.client_secret),
        extension_origins=(EXTENSION_ORIGIN,),
        scim_token=Secret(scim_token),
    )
    engine = make_engine(settings.database_url)
    with ExitStack() as stack_of:
        stack_of.callback(engine.dispose)
        upgrade(engine)
        sessions = make_session_factory(engine)
        vault = _vault(settings)
        org = stack_of.enter_context(
            serve_org(api_token=api_token, host=config.host, port=config.org_port)
        )
        sites_url = stack_of.enter_context(
            serve(lambda _url: create_apps_app(ordered), host=config.host, port=config.sites_port)
        )
        with transaction(sessions) as db:
            demo = seed_demo(db, vault, _logins(ordered, sites_url))
        contexts: list[BrokerContext] = []

        def make_broker(base_url: str) -> ASGIApp:
            _register_redirect_uri(org, base_url)
            ctx = BrokerContext(
                replace(settings, broker_url=base_url, oidc_issuer=org.url), sessions, vault
            )
            contexts.append(ctx)
            return create_app(ctx, okta_check=OktaConnectionCheck())

        broker_url = stack_of.enter_context(
            serve(make_broker, host=config.host, port=config.broker_port)
        )
        accounts = {
            entry.site: ExtendedAccount(entry.site, account_id, entry.name, "", entry.username)
            for entry, account_id in zip(ordered, demo.account_ids, strict=True)
        }
        stack = Stack(
            broker_url=broker_url,
            org_url=org.url,
            sites_url=sites_url,
            org=org,
            broker=contexts[0],
            demo=demo,
            accounts=accounts,
            data_dir=config.data_dir,
            sites=ordered,
        )
        tell(f"sandbox Okta org: {org.url} (issuer; broker's OIDC client registered for it)")
        tell(f"demo login sites: {sites_url} ({len(ordered)} sites)")
        tell(f"broker: {broker_url} (SQLite in {config.data_dir})")
        _provision(stack, scim_token)
        tell(
            f"Okta provisioned {len(org_seed.SEED_USERS)} people over SCIM "
            "(external id = their Okta user id)"
        )
        _connect_and_extend(stack, api_token)
        tell("admin set the Okta domain and API token; Test connection: OK")
        tell(f"owner extended {len(accounts)} accounts to Okta")
        tally = stack.sync()
        _check_synced(sessions, stack, tally)
        tell(
            f"sync: {tally.apps_created} Bookmark apps created, "
            f"{tally.assignments_added} assignments added"
        )
        yield stack
