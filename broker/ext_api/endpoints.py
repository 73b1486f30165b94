"""The extension API's routes: register a key, redeem a grant, fetch a code, sign out.

A release (`/grants/redeem`, `/code`) runs in one transaction on one worker thread:
1. authentication (credential and proof; the proof's `jti` is recorded);
2. the release (`broker.actions.launch`), which checks everything before its first write;
3. a refusal's audit event, when it has one: since a refusal has written nothing but the `jti`,
   the event is committed with it, so a proof is spent even by a refused call.
Any other error rolls the whole transaction back. Registration and sign-out authenticate in a
transaction of their own, then work in another.
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
from broker.db import Executor, core_transaction, transaction
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
from broker.vault import Vault

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
    url = public_url(ctx, path or "")  # the `htu` its proofs must name, worked out once

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
            request.state.latchkey_call = _call(request, url, origin)
            status, answer = await handler(ctx, request, body)
        except ApiError as exc:
            return await _refuse(ctx, request, exc, origin)
        headers = {**guard.cors_headers(origin), "Cache-Control": "no-store"}
        return JSONResponse(answer, status, headers=headers)

    return endpoint


def _call(request: Request, url: str, origin: str) -> Call:
    return Call(
        method=request.method,
        url=url,
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
    action: Callable[[Executor, Vault, Caller, str, datetime], T],
    ctx: BrokerContext,
    call: Call,
    token: str,
    now: datetime,
) -> T:
    """Authentication, then a release action: one transaction, one thread hop (module doc)."""
    refused: ApiError
    with core_transaction(ctx.sessions) as db:
        try:
            caller = credentials.authenticate(db, call, now=now)
            if secrets.randbelow(PRUNE_ONE_IN) == 0:
                credentials.prune_jtis(db, now)
            return action(db, ctx.vault, caller, token, now)
        except ApiError as exc:  # authentication refused: nothing written, or the jti only
            if exc.audit is not None:
                audit.insert_note(db, exc.audit)
            refused = exc.without_audit()
        except launch.Refused as exc:  # the release refused: nothing written but the jti
            if exc.note is not None:
                audit.insert_note(db, exc.note)
            refused = _wire_error(exc)
    raise refused


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
    released = await run_in_threadpool(_authenticated, launch.redeem_in, ctx, call, grant, now)
    return 200, released.as_json()


async def _code(
    ctx: BrokerContext, request: Request, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    ticket = guard.string_field(body, "ticket")
    now = utcnow()
    call: Call = request.state.latchkey_call
    code = await run_in_threadpool(_authenticated, launch.code_in, ctx, call, ticket, now)
    return 200, code.as_json()


def _wire_error(exc: launch.Refused) -> ApiError:
    """A release action's refusal (already audited) in the API's wire codes."""
    if isinstance(exc, launch.GrantRefused):
        return InvalidGrant(exc.message)
    if isinstance(exc, launch.TicketRefused):
        return InvalidTicket(exc.message)
    if isinstance(exc, launch.AccessRefused):
        return AccessDenied(exc.message, reason=exc.reason)
    return ApiError(exc.message)
