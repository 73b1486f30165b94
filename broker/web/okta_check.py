"""**Test connection**: one Management API call with the workspace's domain and sealed token.

What Okta answers is recorded with `workspaces.record_token_check` when it says something about
the token: accepted (OK), or refused (401 `E0000011`, or 403 when the token may not read apps —
either way someone must enter another token, so the page shows *Update*). A timeout, a 5xx or a
429 says nothing about the token: it is shown, and the recorded status stays as it was.

The token is opened from the vault only to build the client's `SSWS` auth, which keeps it out of
reprs; it is never logged, shown or returned.

`app.state.okta_transport` (an `httpx.AsyncBaseTransport`, unset in production) lets tests put the
sandbox org in process, as `create_app(oidc_transport=...)` does for sign-in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from broker import audit
from broker.context import BrokerContext
from broker.db import transaction
from broker.models import SealedSecret, Workspace
from broker.services import workspaces
from sync.clients import TOKEN_PURPOSE
from sync.okta import SSWS, Forbidden, InvalidToken, OktaClient, OktaError
from sync.okta.errors import (
    NotFound,
    OktaTimeout,
    RateLimited,
    ServerError,
    TransportError,
)

TRANSPORT_STATE = "okta_transport"
_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ConnectionResult:
    ok: bool
    summary: str  # "Connected." or Okta's error, e.g. "401 E0000011: Invalid token provided"
    recorded: bool  # whether the token's status was updated
    plain: str = ""  # the same in a person's words, the code after: "Okta refused the token (401
    # E0000011)"

    @property
    def message(self) -> str:
        """What Settings shows after Test connection."""
        if self.ok:
            return "Connection OK: Okta accepted the API token."
        return f"Connection failed: {self.plain or self.summary}"


def _code(exc: OktaError) -> str:
    return " ".join(str(part) for part in (exc.status, exc.error_code) if part is not None)


def plain_words(exc: OktaError, domain: str) -> str:
    """Okta's error as a person reads it, with the status and error code after, in brackets."""
    code = _code(exc)
    after = f" ({code})" if code else ""
    if isinstance(exc, InvalidToken):
        return f"Okta refused the token{after}. Enter a new API token."
    if isinstance(exc, Forbidden):
        return f"Okta refused the token: it may not manage apps{after}."
    if isinstance(exc, RateLimited):
        return f"Okta is limiting requests; try again in a minute{after}."
    if isinstance(exc, OktaTimeout):
        return f"Okta at {domain} did not answer in time."
    if isinstance(exc, TransportError):
        return f"Latchkey could not reach {domain}: check the IDP Domain."
    if isinstance(exc, ServerError):
        return f"Okta is not answering properly; try again later{after}."
    if isinstance(exc, NotFound):
        return f"{domain} does not answer like an Okta org: check the IDP Domain{after}."
    return f"Okta answered with an error: {exc.summary}{after}."


# The Admin Console lives at `{org}-admin.okta.com` (and the same on Okta's other cells); the
# Management API and sign-in are at the org URL without `-admin`.
_ADMIN_HOST = re.compile(r"([a-z0-9][a-z0-9-]*)-admin\.(okta\.com|oktapreview\.com|okta-emea\.com)")


def admin_console_org(domain: str) -> str | None:
    """The org URL when `domain` is an Okta Admin Console address, else None."""
    host = urlsplit(domain.strip() if "://" in domain else f"https://{domain.strip()}").hostname
    found = _ADMIN_HOST.fullmatch(host or "")
    return f"https://{found[1]}.{found[2]}" if found else None


@dataclass(frozen=True)
class _Target:
    domain: str
    token: str

    def __repr__(self) -> str:
        return f"_Target(domain={self.domain!r}, token='**********')"


def transport_of(conn: HTTPConnection) -> httpx.AsyncBaseTransport | None:
    found = getattr(conn.app.state, TRANSPORT_STATE, None)
    return found if isinstance(found, httpx.AsyncBaseTransport) else None


def _target(ctx: BrokerContext, workspace_id: str) -> _Target | None:
    with transaction(ctx.sessions) as db:
        workspace = db.get_one(Workspace, workspace_id)
        if not workspace.okta_domain or not workspace.okta_token_secret_id:
            return None
        secret = db.get(SealedSecret, workspace.okta_token_secret_id)
        if secret is None:
            return None
        return _Target(workspace.okta_domain, ctx.vault.open_text(secret, purpose=TOKEN_PURPOSE))


def _record(ctx: BrokerContext, workspace_id: str, actor_id: str, result: ConnectionResult) -> None:
    with transaction(ctx.sessions) as db:
        if result.recorded:
            error = None if result.ok else result.summary
            workspaces.record_token_check(db, workspace_id, ok=result.ok, error=error)
        audit.record(
            db,
            workspace_id,
            "settings.okta_connection_tested",
            actor_id=actor_id,
            target_type="workspace",
            target_id=workspace_id,
            ok=result.ok,
            summary=result.summary,
        )


async def _call(target: _Target, transport: httpx.AsyncBaseTransport | None) -> ConnectionResult:
    client = OktaClient(
        target.domain,
        SSWS(target.token),
        transport=transport,
        timeout=_TIMEOUT_S,
        error_retries=0,
    )
    async with client:
        try:
            await client.check_token()
        except (InvalidToken, Forbidden) as exc:
            return ConnectionResult(
                False, str(exc), recorded=True, plain=plain_words(exc, target.domain)
            )
        except OktaError as exc:
            return ConnectionResult(
                False, str(exc), recorded=False, plain=plain_words(exc, target.domain)
            )
    return ConnectionResult(True, "Connected.", recorded=True)


async def check_connection(
    ctx: BrokerContext,
    workspace_id: str,
    actor_id: str,
    *,
    transport: httpx.AsyncBaseTransport | None,
) -> ConnectionResult:
    """Ask Okta about the stored domain and token; record and audit the answer."""
    target = await run_in_threadpool(_target, ctx, workspace_id)
    if target is None:
        return ConnectionResult(
            False, "Enter the IDP Domain and an API token first.", recorded=False
        )
    result = await _call(target, transport)
    await run_in_threadpool(_record, ctx, workspace_id, actor_id, result)
    return result
