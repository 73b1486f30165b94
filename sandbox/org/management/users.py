"""Users: read one by id or login, list with `q`, `filter` and `search`, and a user's groups."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.org.context import OrgContext
from sandbox.org.faults import fault_injector
from sandbox.org.management import filters
from sandbox.org.management.errors import not_found
from sandbox.org.management.shapes import group_json, user_json
from sandbox.org.management.wire import listing
from sandbox.org.state import OrgUser

# Okta's `filter` for users covers these; `search` covers any property.
_FILTERABLE = (
    "id",
    "status",
    "lastUpdated",
    "profile.login",
    "profile.email",
    "profile.firstName",
    "profile.lastName",
)


def find_user(ctx: OrgContext, id_or_login: str) -> OrgUser:
    user = ctx.state.users.get(id_or_login) or ctx.state.user_by_login(id_or_login)
    if user is None:
        raise not_found(id_or_login, "User")
    return user


class UsersApi:
    def __init__(self, ctx: OrgContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/users", self.list, methods=["GET"]),
            Route("/users/{user}", self.get, methods=["GET"]),
            Route("/users/{user}/groups", self.groups, methods=["GET"]),
        ]

    async def get(self, request: Request) -> Response:
        with self.ctx.state.locked():
            user = find_user(self.ctx, request.path_params["user"])
            return JSONResponse(user_json(self.ctx.base_url, user))

    async def list(self, request: Request) -> Response:
        params = request.query_params
        predicates = filters.from_query(params, _FILTERABLE)
        q = params.get("q", "").casefold()
        faults = fault_injector(self.ctx)
        with self.ctx.state.locked() as state:
            shaped = [
                (user.id, user_json(self.ctx.base_url, user))
                for user in state.users.values()
                # Okta leaves deprovisioned users out unless a filter or search asks.
                if faults.listed(user.created)
                and (bool(predicates) or user.status != "DEPROVISIONED")
            ]
        matching = [
            item
            for item in shaped
            if all(p(item[1]) for p in predicates) and (not q or _q_matches(item[1], q))
        ]
        return listing(
            self.ctx.base_url,
            request,
            matching,
            key=lambda item: item[0],
            shape=lambda item: item[1],
            default_limit=200,
            max_limit=200,
        )

    async def groups(self, request: Request) -> Response:
        with self.ctx.state.locked() as state:
            user = find_user(self.ctx, request.path_params["user"])
            body = [group_json(self.ctx.base_url, g) for g in state.groups_of(user.id)]
        return JSONResponse(body)


def _q_matches(user: dict[str, object], q: str) -> bool:
    profile = user["profile"]
    assert isinstance(profile, dict)
    fields = ("firstName", "lastName", "email", "login")
    return any(str(profile.get(name) or "").casefold().startswith(q) for name in fields)
