"""The admin API's routes, mounted at `/api/admin/v1`: the actions of the extended-access pages
for scripts (DESIGN.md, "The user's journey", steps 1 and 3).

Authentication is the signed-in broker session (the `latchkey_session` cookie); every write also
carries the session's CSRF token in `X-CSRF-Token` (read it from `GET /me`), so a page on another
site that rides the cookie cannot write. Access is decided where the pages decide it:
in `broker.actions`, through `broker.rbac`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from broker import rbac
from broker.actions import extended_access, settings
from broker.actions import members as member_actions
from broker.admin_api import wire
from broker.admin_api.errors import (
    AdminError,
    CsrfRefused,
    LoginRequired,
    MethodNotAllowed,
    NotFound,
    from_domain,
)
from broker.admin_api.openapi import admin_document
from broker.context import BrokerContext
from broker.errors import DomainError
from broker.models import Member
from broker.ports import okta_check_of
from broker.sessions import csrf_ok, csrf_token, current_member

CSRF_HEADER = "X-CSRF-Token"
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

Result = tuple[int, dict[str, Any]]
Handler = Callable[[Request, Member], Awaitable[Result]]


def _ctx(request: Request) -> BrokerContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, BrokerContext)
    return ctx


def _endpoint(handlers: Mapping[str, Handler]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            handler = handlers.get(request.method)
            if handler is None:
                raise MethodNotAllowed(f"{request.method} is not allowed here.")
            member = await current_member(request)
            if member is None:
                raise LoginRequired("Sign in to Latchkey first; this API uses the session.")
            if request.method in _WRITES and not csrf_ok(request, request.headers.get(CSRF_HEADER)):
                raise CsrfRefused(f"A write needs the session's {CSRF_HEADER} header.")
            status, body = await handler(request, member)
        except DomainError as exc:
            error = from_domain(exc)
            return JSONResponse(error.body(), error.status, headers=_HEADERS)
        except AdminError as exc:
            headers = dict(_HEADERS)
            if isinstance(exc, MethodNotAllowed):
                headers["Allow"] = ", ".join(sorted(handlers))
            return JSONResponse(exc.body(), exc.status, headers=headers)
        return JSONResponse(body, status, headers=_HEADERS)

    return endpoint


# -- me -------------------------------------------------------------------------------------------


async def _me(request: Request, member: Member) -> Result:
    return 200, {
        "member": wire.member_json(member),
        "csrf_token": csrf_token(request),
        "can_edit_settings": rbac.can_edit_settings(member),
    }


async def _sync_all(request: Request, member: Member) -> Result:
    queued = await run_in_threadpool(extended_access.sync_all, _ctx(request), member.id)
    return 202, {"queued": len(queued), "account_ids": queued}


# -- settings -------------------------------------------------------------------------------------


async def _settings_json(ctx: BrokerContext, member_id: str) -> dict[str, Any]:
    return wire.settings_json(await run_in_threadpool(settings.read, ctx, member_id))


async def _get_settings(request: Request, member: Member) -> Result:
    return 200, await _settings_json(_ctx(request), member.id)


async def _put_settings(request: Request, member: Member) -> Result:
    ctx = _ctx(request)
    # Refused before the body is even read, as before: a non-admin learns nothing of its checks.
    await run_in_threadpool(settings.require_access, ctx, member.id)
    change = wire.settings_change(await wire.json_object(request))
    await run_in_threadpool(settings.change, ctx, member.id, change)
    return 200, await _settings_json(ctx, member.id)


async def _test_connection(request: Request, member: Member) -> Result:
    ctx = _ctx(request)
    result = await settings.test_connection(ctx, member.id, okta_check_of(request.app.state))
    settings_body = await _settings_json(ctx, member.id)
    return 200, {
        "ok": result.ok,
        "summary": result.summary,
        "recorded": result.recorded,
        "settings": settings_body,
    }


# -- accounts -------------------------------------------------------------------------------------


def _account_json(ctx: BrokerContext, member_id: str, account_id: str) -> dict[str, Any]:
    return wire.account_json(extended_access.account(ctx, member_id, account_id))


async def _get_account(request: Request, member: Member) -> Result:
    account_id = request.path_params["account_id"]
    return 200, await run_in_threadpool(_account_json, _ctx(request), member.id, account_id)


def _account_action(action: Callable[[BrokerContext, str, str], None], status: int) -> Handler:
    async def handler(request: Request, member: Member) -> Result:
        account_id = request.path_params["account_id"]
        ctx = _ctx(request)
        await run_in_threadpool(action, ctx, member.id, account_id)
        return status, await run_in_threadpool(_account_json, ctx, member.id, account_id)

    return handler


# -- members --------------------------------------------------------------------------------------


async def _members(request: Request, member: Member) -> Result:
    rows = await run_in_threadpool(member_actions.listing, _ctx(request), member.id)
    return 200, {"members": [wire.member_json(row) for row in rows]}


async def _unknown(_request: Request) -> Response:
    error = NotFound("No such call in the admin API.")
    return JSONResponse(error.body(), error.status, headers=_HEADERS)


async def _openapi(_request: Request) -> Response:
    return JSONResponse(admin_document())


def routes() -> list[BaseRoute]:
    def route(path: str, **handlers: Handler) -> Route:
        return Route(path, _endpoint(handlers), methods=_ALL_METHODS)

    return [
        Route("/openapi.json", _openapi, methods=["GET"]),
        route("/me", GET=_me),
        route("/me/sync", POST=_sync_all),
        route("/settings", GET=_get_settings, PUT=_put_settings),
        route("/settings/test-connection", POST=_test_connection),
        route("/accounts/{account_id}", GET=_get_account),
        route(
            "/accounts/{account_id}/extension",
            POST=_account_action(extended_access.extend, 201),
            DELETE=_account_action(extended_access.remove, 202),
        ),
        route(
            "/accounts/{account_id}/extension/sync", POST=_account_action(extended_access.sync, 202)
        ),
        route("/members", GET=_members),
        # Last: any other path under the mount gets the JSON error, not Starlette's text.
        Route("/{path:path}", _unknown, methods=_ALL_METHODS),
    ]
