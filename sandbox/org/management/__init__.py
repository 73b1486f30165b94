"""The Management API subset Latchkey calls, under `/api/v1`, as Okta answers it.

One module per concept: `apps`, `app_users`, `app_groups`, `users`, `groups`; their JSON in
`shapes`, errors in `errors`, paging in `pagination`, `filter`/`search` in `filters`. Every call
passes `gate.ApiGate` first (token, rate limits, faults, headers).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount

from sandbox.org.context import OrgContext
from sandbox.org.management.app_groups import AppGroupsApi
from sandbox.org.management.app_users import AppUsersApi
from sandbox.org.management.apps import AppsApi
from sandbox.org.management.errors import (
    OktaApiError,
    error_response,
    method_not_allowed,
    not_found,
)
from sandbox.org.management.gate import ApiGate
from sandbox.org.management.groups import GroupsApi
from sandbox.org.management.users import UsersApi


async def _okta_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OktaApiError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return error_response(method_not_allowed())
    return error_response(not_found(request.url.path, "Resource"))


def create_api(ctx: OrgContext) -> Starlette:
    routes = [
        *AppsApi(ctx).routes(),
        *AppUsersApi(ctx).routes(),
        *AppGroupsApi(ctx).routes(),
        *UsersApi(ctx).routes(),
        *GroupsApi(ctx).routes(),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(ApiGate, ctx=ctx)],
        exception_handlers={OktaApiError: _okta_error, 404: _http_error, 405: _http_error},
    )


def routes(ctx: OrgContext) -> list[BaseRoute]:
    return [Mount("/api/v1", app=create_api(ctx))]
