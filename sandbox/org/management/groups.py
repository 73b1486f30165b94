"""Groups: list, read, create, replace and delete Okta groups, and their members.

Okta (Groups API): an API client manages groups of type OKTA_GROUP; `BUILT_IN` groups (Everyone)
refuse changes with 403 `E0000006`. Membership changes answer 204. A group created a moment ago
may answer 404 (`Consistency.get_lag`; okta/terraform-provider-okta#647).

`GET /api/v1/groups/{id}/users` (`listGroupUsers` in Okta's OpenAPI description): every member,
whatever their status (a deactivated user stays in their groups), as `User` objects ordered by
id, 1000 a page by default ("the default user limit is set to a very high number due to
historical reasons"), paged by `after` with `link: <…>; rel="next"` (`pagination.py`); 404
`E0000007` for an unknown group. It counts in the `groups` bucket (500 a minute on Workforce:
"/api/v1/groups except /api/v1/groups/{id}", `limits.py`).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.org.context import OrgContext
from sandbox.org.faults import fault_injector
from sandbox.org.management import filters
from sandbox.org.management.errors import access_denied, not_found, validation_failed
from sandbox.org.management.shapes import group_json, user_json
from sandbox.org.management.users import find_user
from sandbox.org.management.wire import listing, read_json
from sandbox.org.state import OrgGroup, now

_FILTERABLE = ("id", "type", "lastUpdated", "lastMembershipUpdated", "profile.name")


def _profile(body: dict[str, Any]) -> tuple[str, str]:
    profile = body.get("profile")
    if not isinstance(profile, dict):
        profile = {}
    name = profile.get("name")
    if not isinstance(name, str) or not name.strip():
        raise validation_failed("name", "name: The field cannot be left blank")
    description = profile.get("description") or ""
    return name, str(description)


class GroupsApi:
    def __init__(self, ctx: OrgContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/groups", self.list, methods=["GET"]),
            Route("/groups", self.create, methods=["POST"]),
            Route("/groups/{group_id}", self.get, methods=["GET"]),
            Route("/groups/{group_id}", self.replace, methods=["PUT"]),
            Route("/groups/{group_id}", self.delete, methods=["DELETE"]),
            Route("/groups/{group_id}/users", self.members, methods=["GET"]),
            Route("/groups/{group_id}/users/{user_id}", self.add_member, methods=["PUT"]),
            Route("/groups/{group_id}/users/{user_id}", self.remove_member, methods=["DELETE"]),
        ]

    def _find(self, group_id: str, *, changing: bool = False) -> OrgGroup:
        group = self.ctx.state.groups.get(group_id)
        if group is None or not fault_injector(self.ctx).gettable(group.created):
            raise not_found(group_id, "UserGroup")
        if changing and group.type != "OKTA_GROUP":
            raise access_denied()
        return group

    def _unique(self, name: str, group_id: str | None = None) -> None:
        for group in self.ctx.state.groups.values():
            if group.name.casefold() == name.casefold() and group.id != group_id:
                raise validation_failed(
                    "name",
                    "name: An object with this field already exists in the current organization",
                )

    async def list(self, request: Request) -> Response:
        params = request.query_params
        predicates = filters.from_query(params, _FILTERABLE)
        q = params.get("q", "").casefold()
        faults = fault_injector(self.ctx)
        with self.ctx.state.locked() as state:
            shaped = [
                (group.id, group_json(self.ctx.base_url, group))
                for group in state.groups.values()
                if faults.listed(group.created) and group.name.casefold().startswith(q)
            ]
        matching = [item for item in shaped if all(p(item[1]) for p in predicates)]
        return listing(
            self.ctx.base_url,
            request,
            matching,
            key=lambda item: item[0],
            shape=lambda item: item[1],
            default_limit=10000,
            max_limit=10000,
        )

    async def create(self, request: Request) -> Response:
        name, description = _profile(await read_json(request))
        with self.ctx.state.locked() as state:
            self._unique(name)
            group = state.add_group(name, description)
            return JSONResponse(group_json(self.ctx.base_url, group))

    async def get(self, request: Request) -> Response:
        with self.ctx.state.locked():
            group = self._find(request.path_params["group_id"])
            return JSONResponse(group_json(self.ctx.base_url, group))

    async def replace(self, request: Request) -> Response:
        name, description = _profile(await read_json(request))
        with self.ctx.state.locked():
            group = self._find(request.path_params["group_id"], changing=True)
            self._unique(name, group.id)
            group.name, group.description, group.last_updated = name, description, now()
            return JSONResponse(group_json(self.ctx.base_url, group))

    async def delete(self, request: Request) -> Response:
        with self.ctx.state.locked() as state:
            group = self._find(request.path_params["group_id"], changing=True)
            state.remove_group(group.id)
        return Response(status_code=204)

    async def members(self, request: Request) -> Response:
        with self.ctx.state.locked() as state:
            group = self._find(request.path_params["group_id"])
            shaped = [
                (user_id, user_json(self.ctx.base_url, state.users[user_id]))
                for user_id in group.member_ids
                if user_id in state.users
            ]
        return listing(
            self.ctx.base_url,
            request,
            shaped,
            key=lambda item: item[0],
            shape=lambda item: item[1],
            default_limit=1000,
            max_limit=10000,
        )

    async def add_member(self, request: Request) -> Response:
        return self._change_member(request, add=True)

    async def remove_member(self, request: Request) -> Response:
        return self._change_member(request, add=False)

    def _change_member(self, request: Request, *, add: bool) -> Response:
        with self.ctx.state.locked():
            group = self._find(request.path_params["group_id"], changing=True)
            user = find_user(self.ctx, request.path_params["user_id"])
            if add:
                group.member_ids.add(user.id)
            else:
                group.member_ids.discard(user.id)
            group.last_membership_updated = now()
        return Response(status_code=204)
