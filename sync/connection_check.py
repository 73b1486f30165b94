"""**Test connection** for the broker's settings: one Management API call, Okta's answer mapped.

This is sync's implementation of the broker's port `broker.ports.OktaConnectionCheck`; the
composition root (`latchkey serve`, the e2e stack, tests) hands it to `create_app`. Okta accepting
the token, or refusing it (401 `E0000011`, or 403 when the token may not read apps — either way
someone must enter another token), says something about the token; a timeout, a 5xx or a 429
does not, and is only shown.

The token reaches the client only as its `SSWS` auth, which keeps it out of reprs.
"""

from __future__ import annotations

import httpx

from broker.ports import ConnectionResult
from sync.okta import SSWS, Forbidden, InvalidToken, OktaClient, OktaError
from sync.okta.broker_app import check_broker_app
from sync.okta.errors import NotFound, OktaTimeout, RateLimited, ServerError, TransportError

TIMEOUT_S = 10.0


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


class OktaConnectionCheck:
    """`transport` lets tests put the sandbox org in process (None: the network).

    `broker_app_id` is the broker's own OIDC client id: when given, the check also says whether
    the token may keep that app assigned to everyone with a chiclet (docs/admin.md).
    """

    def __init__(
        self,
        *,
        broker_app_id: str = "",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = TIMEOUT_S,
    ) -> None:
        self._broker_app_id = broker_app_id
        self._transport = transport
        self._timeout = timeout

    async def __call__(self, domain: str, token: str) -> ConnectionResult:
        client = OktaClient(
            domain, SSWS(token), transport=self._transport, timeout=self._timeout, error_retries=0
        )
        async with client:
            try:
                await client.check_token()
            except (InvalidToken, Forbidden) as exc:
                return ConnectionResult(
                    False, str(exc), recorded=True, plain=plain_words(exc, domain)
                )
            except OktaError as exc:
                return ConnectionResult(
                    False, str(exc), recorded=False, plain=plain_words(exc, domain)
                )
            access = None
            if self._broker_app_id:
                access = await check_broker_app(client, self._broker_app_id)
        return ConnectionResult(
            True, "Connected.", recorded=True, broker_app=access.summary if access else None
        )
