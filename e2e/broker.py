"""A real broker on loopback holding the accounts you give it, the extension's fixed origin
allow-listed, and broker sessions opened directly (the Okta sign-in has tests of its own), so the
browser can carry a session cookie into a launch.

    with serve_accounts(data_dir, {"crm": Login("CRM", "CRM", "http://127.0.0.1:9000/login",
                                                "qa@example.com", password)}) as broker:
        sign_in(extension, page, broker)            # the extension pointed at it, a session
        record = launch(page, extension, broker.launch_url("crm"))   # e2e.launches

`serve_accounts` takes any number of logins at any URLs (one workspace, one owner who owns them
all); `serve_broker` seeds the demo workspace instead (its members and shares, at least the three
demo logins first) for tests of who may launch what.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from playwright.sync_api import Page
from sqlalchemy.orm import Session
from starlette.types import ASGIApp

import broker.schema  # noqa: F401  (registers every table)
from broker import sessions
from broker.context import BrokerContext
from broker.db import Base, make_engine, make_session_factory, transaction
from broker.keyring import Keyring, new_master_key
from broker.models import ItemRole, WorkspaceRole
from broker.seed import DEMO_WORKSPACE, OWNER, DemoLogin, DemoWorkspace, seed_demo
from broker.services import accounts, members, shares, workspaces
from broker.services.accounts import AccountInput
from broker.services.shares import Subject, Target
from broker.settings import Settings
from broker.vault import Vault
from broker.web.app import create_app
from e2e.browser import EXTENSION_ID, LoadedExtension
from e2e.journey.user import configure_extension
from sandbox.apps import SiteSeed
from sandbox.serve import serve
from sync.connection_check import OktaConnectionCheck

EXTENSION_ORIGIN = f"chrome-extension://{EXTENSION_ID}"
SESSION_COOKIE = "latchkey_session"
Login = DemoLogin  # a vault account: name, app, full login URL, username, password, TOTP secret
QA_WORKSPACE = "QA"


@dataclass(frozen=True)
class RunningBroker:
    url: str
    ctx: BrokerContext
    demo: DemoWorkspace  # the workspace: its members by email, its accounts in order
    accounts: dict[str, str]  # key -> account id

    def open_session(self, email: str = OWNER) -> str:
        """A broker session for the member with this email: its cookie token."""
        with transaction(self.ctx.sessions) as db:
            token, _row = sessions.open_session(db, self.demo.member_ids[email], ttl_s=3600)
        return token

    def launch_url(self, key: str) -> str:
        return f"{self.url}/launch/{self.accounts[key]}"


def sign_in(
    extension: LoadedExtension, page: Page, broker: RunningBroker, email: str = OWNER
) -> None:
    """Sign a member in: the extension pointed at `broker` (its options page, as a person does)
    and the browser given the member's broker session; every other cookie cleared."""
    configure_extension(extension, page, broker.url)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": SESSION_COOKIE, "value": broker.open_session(email), "url": broker.url}]
    )


def _seed_qa(db: Session, vault: Vault, logins: Sequence[Login], owner: str) -> DemoWorkspace:
    """One workspace, one Owner who owns every account."""
    ws = workspaces.create_workspace(db, QA_WORKSPACE).id
    member = members.add_member(db, ws, owner, name="QA Owner", role=WorkspaceRole.OWNER)
    ids = []
    for login in logins:
        data = AccountInput(
            name=login.name,
            app_name=login.app_name,
            login_url=login.login_url,
            username=login.username,
            password=login.password,
            totp_secret=login.totp_secret,
        )
        account = accounts.create_account(db, ws, data, vault=vault)
        shares.share(
            db, ws, Subject(member_id=member.id), Target(account_id=account.id), ItemRole.OWNER
        )
        ids.append(account.id)
    return DemoWorkspace(ws, {owner: member.id}, ids)


@contextmanager
def _serve(
    data_dir: Path,
    keys: Sequence[str],
    seed: Callable[[Session, Vault], DemoWorkspace],
    *,
    port: int,
    extension_origins: tuple[str, ...],
    workspace_name: str = DEMO_WORKSPACE,
) -> Iterator[RunningBroker]:
    if len(set(keys)) != len(keys):
        raise ValueError("one account per key")
    engine = make_engine(f"sqlite:///{data_dir / 'latchkey.db'}")
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    vault = Vault(Keyring([new_master_key()]))
    with transaction(factory) as db:
        workspace = seed(db, vault)
    settings = Settings(
        data_dir=data_dir,
        database_url=str(engine.url),
        master_key_file=data_dir / "master.keys",
        extension_origins=extension_origins,
        workspace_name=workspace_name,
    )
    contexts: list[BrokerContext] = []

    def make_app(base_url: str) -> ASGIApp:
        # Proofs name URLs under broker_url: it must be the URL the broker is reached at.
        ctx = BrokerContext(replace(settings, broker_url=base_url), factory, vault)
        contexts.append(ctx)
        return create_app(
            ctx, okta_check=OktaConnectionCheck(broker_app_id=ctx.settings.oidc_client_id)
        )

    try:
        with serve(make_app, port=port) as url:
            found = dict(zip(keys, workspace.account_ids, strict=True))
            yield RunningBroker(url, contexts[0], workspace, found)
    finally:
        engine.dispose()


@contextmanager
def serve_accounts(
    data_dir: Path,
    logins: Mapping[str, Login],
    *,
    owner: str = OWNER,
    port: int = 0,
    extension_origins: tuple[str, ...] = (EXTENSION_ORIGIN,),
) -> Iterator[RunningBroker]:
    """A broker whose vault holds `logins` (by key, any URLs, one or many), all owned by `owner`.
    `port` 0 picks a free one."""
    if not logins:
        raise ValueError("give the broker at least one login")
    keys = list(logins)
    with _serve(
        data_dir,
        keys,
        lambda db, vault: _seed_qa(db, vault, [logins[k] for k in keys], owner),
        port=port,
        extension_origins=extension_origins,
        workspace_name=QA_WORKSPACE,
    ) as running:
        yield running


def seed_logins(
    seeds: Sequence[SiteSeed], sites_url: str, site_urls: Mapping[str, str] | None = None
) -> dict[str, Login]:
    """The sandbox sites' accounts (`SiteSeed`s served at `sites_url`, or at `site_urls[key]`
    for a site served on an origin of its own) as logins, by site key."""
    return {
        entry.site: Login(
            name=entry.name,
            app_name=entry.site,
            login_url=entry.login_url((site_urls or {}).get(entry.site, sites_url)),
            username=entry.username,
            password=entry.password,
            totp_secret=entry.totp_secret,
        )
        for entry in seeds
    }


@contextmanager
def serve_broker(
    data_dir: Path,
    sites_url: str,
    seeds: Sequence[SiteSeed],
    *,
    port: int = 0,
    extension_origins: tuple[str, ...] = (EXTENSION_ORIGIN,),
    site_urls: Mapping[str, str] | None = None,
) -> Iterator[RunningBroker]:
    """The demo workspace (`broker.seed`: its members, teams, collections and shares) over the
    sandbox sites' accounts; the demo's three logins come first."""
    logins = seed_logins(seeds, sites_url, site_urls)
    keys = list(logins)
    with _serve(
        data_dir,
        keys,
        lambda db, vault: seed_demo(db, vault, [logins[k] for k in keys]),
        port=port,
        extension_origins=extension_origins,
    ) as running:
        yield running
