"""One Okta client per workspace, built from its domain and sealed API token.

The token is opened from the vault only to build the client and lives on in its auth object,
which keeps it out of reprs; it is never logged. A client (with its limiter, which learns the
bucket windows from Okta's headers) is kept while the workspace's domain and token are unchanged,
so the budget it has learnt survives from one round to the next. Given `Budgets` (PostgreSQL), each
client's limiter reserves its calls from the budget every worker on the token shares
(`sync/budget.py`).

Reading the sealed token is database work, done in the worker's database thread
(`credentials`); building the client is not, and happens on the event loop (`client`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from sqlalchemy.orm import Session

from broker.models import SealedSecret, Workspace
from broker.services.workspaces import OKTA_TOKEN_PURPOSE
from broker.vault import Vault
from sync.budget import Budgets
from sync.okta import OktaClient
from sync.okta.auth import SSWS
from sync.okta.limiter import Limiter, LimiterSettings

MakeClient = Callable[[str, str], OktaClient]  # (domain, token) -> client


def client_maker(
    *,
    limiter_settings: LimiterSettings | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    budgets: Budgets | None = None,
) -> MakeClient:
    """How clients are built: real HTTP by default; tests and the benchmark pass a transport.
    With `budgets`, every client spends from its token's shared budget."""

    def make(domain: str, token: str) -> OktaClient:
        shared = budgets.for_token(domain, token) if budgets is not None else None
        limiter = Limiter(limiter_settings or LimiterSettings(), budget=shared)
        return OktaClient(domain, SSWS(token), transport=transport, limiter=limiter)

    return make


@dataclass(frozen=True)
class Credentials:
    """What a workspace's client is built from; `token` is None when a cached client has it."""

    workspace_id: str
    key: tuple[str, str]  # (domain, sealed token id): a new client when either changes
    domain: str
    token: str | None = field(default=None, repr=False)


class Clients:
    def __init__(self, vault: Vault, make: MakeClient | None = None) -> None:
        self._vault = vault
        self._make = make or client_maker()
        self._cache: dict[str, tuple[tuple[str, str], OktaClient]] = {}

    def credentials(self, session: Session, workspace: Workspace) -> Credentials | None:
        """The workspace's credentials, or None when it has no domain or token."""
        if not workspace.okta_domain or not workspace.okta_token_secret_id:
            return None
        key = (workspace.okta_domain, workspace.okta_token_secret_id)
        cached = self._cache.get(workspace.id)
        if cached is not None and cached[0] == key:
            return Credentials(workspace.id, key, workspace.okta_domain)
        secret = session.get(SealedSecret, workspace.okta_token_secret_id)
        if secret is None:
            return None
        token = self._vault.open_text(secret, purpose=OKTA_TOKEN_PURPOSE)
        return Credentials(workspace.id, key, workspace.okta_domain, token)

    def client(self, credentials: Credentials) -> OktaClient | None:
        """The client for `credentials` (None: the cached one they counted on is gone)."""
        cached = self._cache.get(credentials.workspace_id)
        if cached is not None and cached[0] == credentials.key:
            return cached[1]
        if credentials.token is None:
            return None
        client = self._make(credentials.domain, credentials.token)
        self._cache[credentials.workspace_id] = (credentials.key, client)
        return client

    def all(self) -> list[OktaClient]:
        return [client for _, client in self._cache.values()]

    async def aclose(self) -> None:
        for client in self.all():
            await client.aclose()
        self._cache.clear()
