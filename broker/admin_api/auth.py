"""Who is calling the admin API: a personal API token, or the signed-in browser session.

- `Authorization: Bearer lk_…` (RFC 6750 §2.1): the token's member, with exactly their rights.
  No CSRF token is needed: a browser never adds this header by itself, so another site cannot
  ride it. A header that is present but not a live token is refused with 401 `invalid_token`
  (RFC 6750 §3.1) and never falls back to the cookie: a script with a revoked token must learn it,
  not act as whoever is signed in in the same cookie jar.
- Otherwise the `latchkey_session` cookie, and on writes the session's `X-CSRF-Token`.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from broker.actions import tokens
from broker.admin_api.errors import CsrfRefused, InvalidToken, LoginRequired
from broker.context import BrokerContext
from broker.models import Member
from broker.sessions import csrf_ok, current_member

CSRF_HEADER = "X-CSRF-Token"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Caller:
    member: Member
    bearer: bool  # True: a personal API token; False: the browser session


def _ctx(request: Request) -> BrokerContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, BrokerContext)
    return ctx


async def authenticate(request: Request) -> Caller:
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("Send Authorization: Bearer lk_… with a personal API token.")
        member = await run_in_threadpool(tokens.member_of_token, _ctx(request), token.strip())
        if member is None:
            raise InvalidToken("The API token is unknown, revoked, or its member is inactive.")
        caller = Caller(member, bearer=True)
    else:
        found = await current_member(request)
        if found is None:
            raise LoginRequired(
                "Sign in to Latchkey first, or send a personal API token as a Bearer token."
            )
        if request.method in WRITES and not csrf_ok(request, request.headers.get(CSRF_HEADER)):
            raise CsrfRefused(f"A write with the session needs its {CSRF_HEADER} header.")
        caller = Caller(found, bearer=False)
    request.state.latchkey_caller = caller
    return caller


def caller_of(request: Request) -> Caller:
    """The caller `authenticate` found for this request."""
    caller = request.state.latchkey_caller
    assert isinstance(caller, Caller)
    return caller
