"""The broker and the sandbox org in one process, and a browser that talks to both.

The broker's OIDC client reaches the org through an `httpx.ASGITransport`; the browser is an
`httpx.AsyncClient` whose transport routes by host and port, so cookies behave as in a browser
(one jar for 127.0.0.1, whatever the port: `latchkey_session` beside `okta_sandbox_sid`).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.types import ASGIApp

from broker.context import BrokerContext
from broker.db import transaction
from broker.models import AuditEvent, Member, Workspace, WorkspaceRole
from broker.services import members, workspaces
from broker.settings import Secret, Settings
from broker.vault import Vault
from broker.web.app import create_app
from sandbox.org.app import create_org_app
from sandbox.org.context import OrgContext
from sandbox.org.oidc import Misbehaviour, provider_of
from sandbox.org.state import OidcClient, OrgUser
from sync.connection_check import OktaConnectionCheck
from tests.broker.builders import World
from tests.conftest import Database

BROKER = "http://127.0.0.1:8400"
ORG = "http://127.0.0.1:8410"
CLIENT_ID = "0oaLatchkeyBrokerTest"
WORKSPACE = "Acme"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Router(httpx.AsyncBaseTransport):
    """Sends each request to the in-process app serving its host and port."""

    def __init__(self, apps: dict[str, ASGIApp]) -> None:
        self._transports = {origin: httpx.ASGITransport(app=app) for origin, app in apps.items()}
        self.seen: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        origin = f"{request.url.scheme}://{request.url.netloc.decode()}"
        return await self._transports[origin].handle_async_request(request)


@dataclass
class Journey:
    """The hops of one browser navigation, redirects followed by hand."""

    hops: list[httpx.Response] = field(default_factory=list)

    @property
    def final(self) -> httpx.Response:
        return self.hops[-1]

    def urls(self) -> list[str]:
        return [str(r.request.url) for r in self.hops]

    def hop_to(self, path: str) -> httpx.Response:
        return next(r for r in self.hops if r.request.url.path == path)


@dataclass
class Harness:
    db: Database
    ctx: BrokerContext
    broker: Starlette
    org_ctx: OrgContext
    org: Starlette
    browser: httpx.AsyncClient
    org_transport: Router  # what the broker's OIDC client goes through
    vault: Vault
    workspace_id: str
    passwords: dict[str, str] = field(default_factory=dict)

    # --- the org ---------------------------------------------------------------------------

    def okta_user(self, login: str) -> OrgUser:
        password = secrets.token_urlsafe(12)
        user = self.org_ctx.state.add_user(login, first_name=login.split("@")[0], password=password)
        self.passwords[user.id] = password
        return user

    def misbehave(self, mode: Misbehaviour | None) -> None:
        provider_of(self.org_ctx).misbehave(mode)

    async def okta_session(self, user: OrgUser) -> None:
        """Sign the user in to Okta through the sandbox control plane (no form)."""
        response = await self.browser.post(
            f"{ORG}/_sandbox/oidc/sessions", json={"login": user.login}
        )
        assert response.status_code == 201, response.text

    # --- the broker ------------------------------------------------------------------------

    @contextmanager
    def build(self) -> Iterator[World]:
        """A World on the broker's workspace, committed when the block ends."""
        with transaction(self.ctx.sessions) as s:
            workspace = s.get(Workspace, self.workspace_id)
            assert workspace is not None
            yield World(s, self.vault, workspace)

    def member_for(
        self, user: OrgUser, role: WorkspaceRole = WorkspaceRole.USER, *, active: bool = True
    ) -> Member:
        with transaction(self.ctx.sessions) as s:
            return members.add_member(
                s, self.workspace_id, user.email, role=role, external_id=user.id, active=active
            )

    def audit(self, action: str) -> list[AuditEvent]:
        with self.ctx.sessions() as s:
            return list(
                s.scalars(
                    select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
                )
            )

    # --- the browser -----------------------------------------------------------------------

    async def navigate(self, url: str, *, limit: int = 12) -> Journey:
        journey = Journey([await self.browser.get(url)])
        while journey.final.next_request is not None:
            assert len(journey.hops) < limit, journey.urls()
            journey.hops.append(await self.browser.send(journey.final.next_request))
        return journey

    async def fill_signin(self, signin_page: httpx.Response, user: OrgUser) -> Journey:
        """Submit the org's sign-in form the journey stopped at, and follow on."""
        assert signin_page.request.url.path == "/login/login.htm", signin_page.request.url
        from_uri = parse_qs(urlsplit(str(signin_page.request.url)).query)["fromURI"][0]
        form = {"username": user.login, "password": self.passwords[user.id], "fromURI": from_uri}
        journey = Journey([await self.browser.post(f"{ORG}/login/login.htm", data=form)])
        while journey.final.next_request is not None:
            journey.hops.append(await self.browser.send(journey.final.next_request))
        return journey

    async def sign_in_and_launch(self, user: OrgUser, account_id: str) -> Journey:
        await self.okta_session(user)
        return await self.navigate(f"{BROKER}/launch/{account_id}")

    def session_cookie(self) -> str | None:
        return self.browser.cookies.get("latchkey_session")


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": "sqlite://",  # unused: the context carries the session factory
        "master_key_file": tmp_path / "master.keys",
        "broker_url": BROKER,
        "oidc_issuer": ORG,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": Secret(secrets.token_urlsafe(24)),
        "workspace_name": WORKSPACE,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def harness(db: Database, vault: Vault, tmp_path: Path) -> AsyncIterator[Harness]:
    settings = make_settings(tmp_path)
    assert settings.oidc_client_secret is not None
    org_ctx = OrgContext(base_url=ORG, api_token=secrets.token_urlsafe(16))
    org_ctx.state.oidc_clients[CLIENT_ID] = OidcClient(
        CLIENT_ID, settings.oidc_client_secret.reveal(), [settings.oidc_redirect_uri]
    )
    org = create_org_app(org_ctx)
    org_transport = Router({ORG: org})
    with transaction(db.sessions) as s:
        workspace_id = workspaces.create_workspace(s, WORKSPACE).id
    ctx = BrokerContext(settings, db.sessions, vault)
    broker = create_app(
        ctx, oidc_transport=org_transport, okta_check=OktaConnectionCheck(transport=org_transport)
    )
    router = Router({BROKER: broker, ORG: org})
    async with httpx.AsyncClient(transport=router) as browser:
        yield Harness(db, ctx, broker, org_ctx, org, browser, org_transport, vault, workspace_id)
    await broker.state.relying_party.aclose()
