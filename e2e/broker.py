"""A real broker on loopback for the launch tests: the demo workspace seeded with the demo sites'
accounts, the extension's fixed origin allow-listed, and broker sessions opened directly (the
Okta sign-in has tests of its own), so the browser can carry a session cookie into a launch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from starlette.types import ASGIApp

import broker.schema  # noqa: F401  (registers every table)
from broker import sessions
from broker.context import BrokerContext
from broker.db import Base, make_engine, make_session_factory, transaction
from broker.keyring import Keyring, new_master_key
from broker.seed import DemoLogin, DemoWorkspace, seed_demo
from broker.settings import Settings
from broker.vault import Vault
from broker.web.app import create_app
from e2e.browser import EXTENSION_ID
from sandbox.apps import SiteSeed
from sandbox.serve import serve
from sync.connection_check import OktaConnectionCheck

EXTENSION_ORIGIN = f"chrome-extension://{EXTENSION_ID}"


@dataclass(frozen=True)
class RunningBroker:
    url: str
    ctx: BrokerContext
    demo: DemoWorkspace
    accounts: dict[str, str]  # demo site key -> account id

    def open_session(self, email: str) -> str:
        """A broker session for the demo member with this email: its cookie token."""
        with transaction(self.ctx.sessions) as db:
            token, _row = sessions.open_session(db, self.demo.member_ids[email], ttl_s=3600)
        return token

    def launch_url(self, site: str) -> str:
        return f"{self.url}/launch/{self.accounts[site]}"


@contextmanager
def serve_broker(
    data_dir: Path, sites_url: str, seeds: Sequence[SiteSeed]
) -> Iterator[RunningBroker]:
    engine = make_engine(f"sqlite:///{data_dir / 'latchkey.db'}")
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    vault = Vault(Keyring([new_master_key()]))
    logins = [
        DemoLogin(
            name=entry.name,
            app_name=entry.site,
            login_url=entry.login_url(sites_url),
            username=entry.username,
            password=entry.password,
            totp_secret=entry.totp_secret,
        )
        for entry in seeds
    ]
    with transaction(factory) as db:
        demo = seed_demo(db, vault, logins)
    settings = Settings(
        data_dir=data_dir,
        database_url=str(engine.url),
        master_key_file=data_dir / "master.keys",
        extension_origins=(EXTENSION_ORIGIN,),
    )
    contexts: list[BrokerContext] = []

    def make_app(base_url: str) -> ASGIApp:
        # Proofs name URLs under broker_url: it must be the URL the broker is reached at.
        ctx = BrokerContext(replace(settings, broker_url=base_url), factory, vault)
        contexts.append(ctx)
        return create_app(ctx, okta_check=OktaConnectionCheck())

    try:
        with serve(make_app) as url:
            pairs = zip(seeds, demo.account_ids, strict=True)
            accounts = {entry.site: account for entry, account in pairs}
            yield RunningBroker(url, contexts[0], demo, accounts)
    finally:
        engine.dispose()
