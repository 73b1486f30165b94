"""One Okta client per workspace, built from its domain and sealed API token.

The token is opened from the vault only to build the client and lives on in its auth object,
which keeps it out of reprs; it is never logged. A client (with its limiter, which learns the
bucket windows from Okta's headers) is kept while the workspace's domain and token are unchanged,
so the budget it has learnt survives from one round to the next.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy.orm import Session

from broker.models import SealedSecret, Workspace
from broker.services.workspaces import OKTA_TOKEN_PURPOSE
from broker.vault import Vault
from sync.okta import OktaClient
from sync.okta.auth import SSWS
from sync.okta.limiter import Limiter, LimiterSettings

MakeClient = Callable[[str, str], OktaClient]  # (domain, token) -> client


def client_maker(
    *,
    limiter_settings: LimiterSettings | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> MakeClient:
    """How clients are built: real HTTP by default; tests and the benchmark pass a transport."""

    def make(domain: str, token: str) -> OktaClient:
        limiter = Limiter(limiter_settings or LimiterSettings())
        return OktaClient(domain, SSWS(token), transport=transport, limiter=limiter)

    return make


class Clients:
    def __init__(self, vault: Vault, make: MakeClient | None = None) -> None:
        self._vault = vault
        self._make = make or client_maker()
        self._cache: dict[str, tuple[tuple[str, str], OktaClient]] = {}

    def for_workspace(self, session: Session, workspace: Workspace) -> OktaClient | None:
        """The workspace's client, or None when it has no domain or token."""
        if not workspace.okta_domain or not workspace.okta_token_secret_id:
            return None
        key = (workspace.okta_domain, workspace.okta_token_secret_id)
        cached = self._cache.get(workspace.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        secret = session.get(SealedSecret, workspace.okta_token_secret_id)
        if secret is None:
            return None
        token = self._vault.open_text(secret, purpose=OKTA_TOKEN_PURPOSE)
        client = self._make(workspace.okta_domain, token)
        self._cache[workspace.id] = (key, client)
        return client

    def all(self) -> list[OktaClient]:
        return [client for _, client in self._cache.values()]

    async def aclose(self) -> None:
        for client in self.all():
            await client.aclose()
        self._cache.clear()
