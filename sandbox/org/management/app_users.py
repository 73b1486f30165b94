"""App users: assign a user to an app, read, list, update and unassign.

Okta (Application Users API): `POST /api/v1/apps/{id}/users {"id": …}` answers 200 with the app
user; a user already assigned directly answers 409 `E0000062` (DESIGN.md); a list holds users
assigned directly (`scope: USER`) and through a group (`scope: GROUP`); `DELETE` answers 204.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.org.context import OrgContext
from sandbox.org.faults import fault_injector
from sandbox.org.management.apps import find_app
from sandbox.org.management.errors import (
    already_assigned,
    assigned_through_group,
    not_found,
    validation_failed,
)
from sandbox.org.management.shapes import app_user_json
from sandbox.org.management.wire import listing, read_json
from sandbox.org.state import OrgApp, OrgState, OrgUser, now


def _assignments(state: OrgState, app: OrgApp) -> dict[str, tuple[datetime, str]]:
    """Every user of the app: user id -> (when assigned, scope); direct assignment wins."""
    found: dict[str, tuple[datetime, str]] = {}
    for group_id, when in app.group_ids.items():
        group = state.groups.get(group_id)
        for user_id in group.member_ids if group else ():
            found.setdefault(user_id, (when, "GROUP"))
    for user_id, when in app.user_ids.items():
        found[user_id] = (when, "USER")
    return found


class AppUsersApi:
    def __init__(self, ctx: OrgContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/apps/{app_id}/users", self.list, methods=["GET"]),
            Route("/apps/{app_id}/users", self.assign, methods=["POST"]),
            Route("/apps/{app_id}/users/{user_id}", self.get, methods=["GET"]),
            Route("/apps/{app_id}/users/{user_id}", self.update, methods=["POST"]),
            Route("/apps/{app_id}/users/{user_id}", self.unassign, methods=["DELETE"]),
        ]

    def _json(self, app: OrgApp, user: OrgUser, when: datetime, scope: str) -> dict[str, Any]:
        return app_user_json(self.ctx.base_url, app, user, when, scope)

    def _user(self, user_id: str) -> OrgUser:
        user = self.ctx.state.users.get(user_id)
        if user is None:
            raise not_found(user_id, "User")
        return user

    async def assign(self, request: Request) -> Response:
        body = await read_json(request)
        user_id = body.get("id")
        if not isinstance(user_id, str) or not user_id:
            raise validation_failed("id", "id: The field cannot be left blank")
        with self.ctx.state.locked():
            app = find_app(self.ctx, request.path_params["app_id"])
            user = self._user(user_id)
            if user.id in app.user_ids:
                raise already_assigned(user.id)
            when = app.user_ids[user.id] = now()
            return JSONResponse(self._json(app, user, when, "USER"))

    async def get(self, request: Request) -> Response:
        with self.ctx.state.locked() as state:
            app = find_app(self.ctx, request.path_params["app_id"])
            user_id = request.path_params["user_id"]
            assignment = _assignments(state, app).get(user_id)
            if assignment is None or user_id not in state.users:
                raise not_found(user_id, "AppUser")
            return JSONResponse(self._json(app, state.users[user_id], *assignment))

    async def update(self, request: Request) -> Response:
        await read_json(request, required=False)  # profile and credentials are not kept
        return await self.get(request)

    async def list(self, request: Request) -> Response:
        faults = fault_injector(self.ctx)
        q = request.query_params.get("q", "").casefold()
        with self.ctx.state.locked() as state:
            app = find_app(self.ctx, request.path_params["app_id"])
            shaped = [
                (user_id, self._json(app, state.users[user_id], when, scope))
                for user_id, (when, scope) in _assignments(state, app).items()
                if user_id in state.users
                and faults.listed(when)
                and (not q or _starts_with(state.users[user_id], q))
            ]
        return listing(
            self.ctx.base_url,
            request,
            shaped,
            key=lambda item: item[0],
            shape=lambda item: item[1],
            default_limit=50,
            max_limit=500,
        )

    async def unassign(self, request: Request) -> Response:
        with self.ctx.state.locked() as state:
            app = find_app(self.ctx, request.path_params["app_id"])
            user_id = request.path_params["user_id"]
            if any(g.id in app.group_ids for g in state.groups_of(user_id)):
                raise assigned_through_group(user_id)
            if app.user_ids.pop(user_id, None) is None:
                raise not_found(user_id, "AppUser")
        return Response(status_code=204)


def _starts_with(user: OrgUser, q: str) -> bool:
    fields = (user.login, user.email, user.first_name, user.last_name)
    return any(value.casefold().startswith(q) for value in fields)
