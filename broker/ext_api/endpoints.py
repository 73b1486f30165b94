"""The extension API's routes: register a key, redeem a grant, fetch a code, sign out.

Each call runs in up to three transactions, in this order:
1. authentication (credential and proof; the proof's `jti` is recorded here and stays recorded
   whatever happens next, so a proof is spent even by a refused call);
2. the work itself, rolled back whole when refused;
3. the refusal's audit event, when it has one.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from broker import audit, sessions
from broker.actions import launch
from broker.audit import Note as AuditNote
from broker.context import BrokerContext
from broker.db import transaction
from broker.ext_api import credentials, guard
from broker.ext_api.credentials import Call, Caller
from broker.ext_api.errors import (
    AccessDenied,
    ApiError,
    InvalidGrant,
    InvalidTicket,
    InvalidToken,
    LoginRequired,
    MethodNotAllowed,
    NotFound,
)
from broker.ext_api.openapi import openapi_document
from broker.models import Member, utcnow

MOUNT_PATH = "/api/ext/v1"
PRUNE_ONE_IN = 64  # calls that also forget expired proof ids: cheap, and no worker needed

# Every method reaches the endpoint, so a wrong one gets our JSON error, not Starlette's text.
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

logger = logging.getLogger("broker.ext_api")

T = TypeVar("T")
Handler = Callable[[BrokerContext, Request, dict[str, Any]], Awaitable[tuple[int, dict[str, Any]]]]


def routes(ctx: BrokerContext) -> list[BaseRoute]:
    """The API, to mount at `MOUNT_PATH` (proofs name URLs under `broker_url + MOUNT_PATH`)."""
    return [
        Route("/openapi.json", _openapi, methods=["GET"]),
        Route("/keys", _endpoint(ctx, "/keys", _register), methods=_ALL_METHODS),
        Route("/keys/revoke", _endpoint(ctx, "/keys/revoke", _revoke), methods=_ALL_METHODS),
        Route("/grants/redeem", _endpoint(ctx, "/grants/redeem", _redeem), methods=_ALL_METHODS),
        Route("/code", _endpoint(ctx, "/code", _code), methods=_ALL_METHODS),
        Route("/{rest:path}", _endpoint(ctx, None, None), methods=_ALL_METHODS),
    ]


def public_url(ctx: BrokerContext, path: str) -> str:
    """The `htu` of an endpoint: what the extension signs, independent of proxies in between.

    The broker URL is written the way a browser's `URL` object writes it (lowercase scheme and
    host, no default port, no trailing slash), so both sides build the same string.
    """
    base = ctx.settings.broker_url
    return launch.exact_origin(base) + urlsplit(base).path.rstrip("/") + MOUNT_PATH + path


async def _openapi(_request: Request) -> Response:
    return JSONResponse(openapi_document())


def _endpoint(
    ctx: BrokerContext, path: str | None, handler: Handler | None
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        origin: str | None = None
        try:
            origin = guard.allowed_origin(request, ctx.settings)
            if handler is None:
                raise NotFound("There is no such endpoint.")
            if request.method == "OPTIONS":
                return Response(status_code=204, headers=guard.preflight_headers(origin))
            if request.method != "POST":
                raise MethodNotAllowed("Use POST.")
            body = await guard.json_object(request)
            request.state.latchkey_call = _call(ctx, request, path or "", origin)
            status, answer = await handler(ctx, request, body)
        except ApiError as exc:
            return await _refuse(ctx, request, exc, origin)
        headers = {**guard.cors_headers(origin), "Cache-Control": "no-store"}
        return JSONResponse(answer, status, headers=headers)

    return endpoint


def _call(ctx: BrokerContext, request: Request, path: str, origin: str) -> Call:
    return Call(
        method=request.method,
        url=public_url(ctx, path),
        authorization=request.headers.get("authorization"),
        proofs=tuple(request.headers.getlist("dpop")),
        origin=origin,
    )


async def _refuse(
    ctx: BrokerContext, request: Request, exc: ApiError, origin: str | None
) -> Response:
    # The code and the path only: descriptions are ours, but headers and bodies are not logged.
    logger.info("extension API refused %s %s: %s", request.method, request.url.path, exc.code)
    if exc.audit is not None:
        await run_in_threadpool(_write_audit, ctx, exc.audit)
    headers = {**exc.headers(), "Cache-Control": "no-store"}
    if origin is not None:
        headers.update(guard.cors_headers(origin))
    return JSONResponse(exc.body(), exc.status, headers=headers)


def _write_audit(ctx: BrokerContext, note: AuditNote) -> None:
    with transaction(ctx.sessions) as db:
        audit.record_note(db, note)


async def _in_transaction(ctx: BrokerContext, work: Callable[[Session], T]) -> T:
    def run() -> T:
        with transaction(ctx.sessions) as db:
            return work(db)

    return await run_in_threadpool(run)


def _authenticate(ctx: BrokerContext, call: Call, now: datetime) -> Caller:
    """Step 1, in its own transaction: the proof's `jti` stays spent whatever the work does."""
    with transaction(ctx.sessions) as db:
        caller = credentials.authenticate(db, call, now=now)
        if secrets.randbelow(PRUNE_ONE_IN) == 0:
            credentials.prune_jtis(db, now)
        return caller


async def _caller(ctx: BrokerContext, request: Request, now: datetime) -> Caller:
    return await run_in_threadpool(_authenticate, ctx, request.state.latchkey_call, now)


def _authenticated(
    action: Callable[..., T], ctx: BrokerContext, call: Call, token: str, now: datetime
) -> T:
    """Authentication, then a release action: two transactions, one thread hop."""
    return _released(action, ctx, _authenticate(ctx, call, now), token, now)


# --- the calls ---------------------------------------------------------------------------------


async def _register(
    ctx: BrokerContext, request: Request, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    signed_in = await sessions.current_session(request)
    if signed_in is None:
        raise LoginRequired("Sign in to Latchkey in this browser, then register the extension.")
    call: Call = request.state.latchkey_call
    now = utcnow()

    def work(db: Session) -> tuple[credentials.Registered, Member]:
        member = db.get(Member, signed_in.member.id)
        if member is None:
            raise InvalidToken("This member no longer exists.")
        registered = credentials.register(
            db,
            member=member,
            session_id=signed_in.session_id,
            call=call,
            jwk=body.get("jwk"),
            now=now,
        )
        return registered, member

    registered, member = await _in_transaction(ctx, work)
    return 201, {
        "credential": registered.credential,
        "token_type": "DPoP",
        "expires_in": int((registered.expires_at - now).total_seconds()),
        "member": {"id": member.id, "email": member.email, "name": member.name},
    }


async def _revoke(
    ctx: BrokerContext, request: Request, _body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    now = utcnow()
    caller = await _caller(ctx, request, now)

    def work(db: Session) -> bool:
        revoked = credentials.revoke(db, caller.credential_id, now=now)
        audit.record(
            db,
            caller.workspace_id,
            "credential.revoked",
            actor_id=caller.member_id,
            target_type="extension_credential",
            target_id=caller.credential_id,
        )
        return revoked

    return 200, {"revoked": await _in_transaction(ctx, work)}


async def _redeem(
    ctx: BrokerContext, request: Request, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    grant = guard.string_field(body, "grant")
    now = utcnow()
    call: Call = request.state.latchkey_call
    released = await run_in_threadpool(_authenticated, launch.redeem, ctx, call, grant, now)
    return 200, released.as_json()


async def _code(
    ctx: BrokerContext, request: Request, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    ticket = guard.string_field(body, "ticket")
    now = utcnow()
    call: Call = request.state.latchkey_call
    code = await run_in_threadpool(_authenticated, launch.current_code, ctx, call, ticket, now)
    return 200, code.as_json()


def _released(
    action: Callable[..., T], ctx: BrokerContext, caller: Caller, token: str, now: datetime
) -> T:
    """Run a release action; its refusals (already audited by it) in the API's wire codes."""
    try:
        return action(ctx, caller, token, now=now)
    except launch.GrantRefused as exc:
        raise InvalidGrant(exc.message) from None
    except launch.TicketRefused as exc:
        raise InvalidTicket(exc.message) from None
    except launch.AccessRefused as exc:
        raise AccessDenied(exc.message, reason=exc.reason) from None
    except launch.Refused as exc:
        raise ApiError(exc.message) from None
