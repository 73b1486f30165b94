"""App groups: assign a group to an app, read, list and unassign.

Okta (Application Groups API, in its OpenAPI description `../shared/okta/`, operations
`assignGroupToApplication`, `unassignApplicationFromGroup`, `listApplicationGroupAssignments`;
https://developer.okta.com/docs/api/openapi/okta-management/management/tag/ApplicationGroups/):
`PUT /api/v1/apps/{id}/groups/{groupId}`, body optional, answers 200 with the
`ApplicationGroupAssignment` (`id`, `priority`, `lastUpdated`, `profile`, `_links`) and assigns
the app to every member of the group, who list with `scope: GROUP` (`app_users`); putting it
again changes nothing. An unknown app or group is 404 `E0000007`. `DELETE` answers 204, and 404
once the group is not assigned. Every call here counts in the `apps` bucket (100 a minute for the
org on Workforce, `limits.py`), like a user's assignment: a group is one call where its members
would be one each.

Not modelled: Okta applies a group's app assignment to its members in the background, which for a
very large group may take a while; the sandbox applies it at once (no public figure to imitate).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.org.context import OrgContext
from sandbox.org.faults import fault_injector
from sandbox.org.management.apps import find_app
from sandbox.org.management.errors import not_found
from sandbox.org.management.shapes import app_group_json
from sandbox.org.management.wire import listing, read_json
from sandbox.org.state import OrgGroup, now


class AppGroupsApi:
    def __init__(self, ctx: OrgContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/apps/{app_id}/groups", self.list, methods=["GET"]),
            Route("/apps/{app_id}/groups/{group_id}", self.get, methods=["GET"]),
            Route("/apps/{app_id}/groups/{group_id}", self.assign, methods=["PUT"]),
            Route("/apps/{app_id}/groups/{group_id}", self.unassign, methods=["DELETE"]),
        ]

    def _group(self, group_id: str) -> OrgGroup:
        group = self.ctx.state.groups.get(group_id)
        if group is None or not fault_injector(self.ctx).gettable(group.created):
            raise not_found(group_id, "UserGroup")  # a new group may not be there yet
        return group

    async def assign(self, request: Request) -> Response:
        await read_json(request, required=False)  # priority and profile are not kept
        with self.ctx.state.locked():
            app = find_app(self.ctx, request.path_params["app_id"])
            group = self._group(request.path_params["group_id"])
            when = app.group_ids.setdefault(group.id, now())
            return JSONResponse(app_group_json(self.ctx.base_url, app, group, when))

    async def get(self, request: Request) -> Response:
        with self.ctx.state.locked():
            app = find_app(self.ctx, request.path_params["app_id"])
            group_id = request.path_params["group_id"]
            when = app.group_ids.get(group_id)
            if when is None:
                raise not_found(group_id, "ApplicationGroupAssignment")
            group = self._group(group_id)
            return JSONResponse(app_group_json(self.ctx.base_url, app, group, when))

    async def list(self, request: Request) -> Response:
        faults = fault_injector(self.ctx)
        with self.ctx.state.locked() as state:
            app = find_app(self.ctx, request.path_params["app_id"])
            shaped = [
                (group_id, app_group_json(self.ctx.base_url, app, state.groups[group_id], when))
                for group_id, when in app.group_ids.items()
                if group_id in state.groups and faults.listed(when)
            ]
        return listing(
            self.ctx.base_url,
            request,
            shaped,
            key=lambda item: item[0],
            shape=lambda item: item[1],
            default_limit=20,
            max_limit=200,
        )

    async def unassign(self, request: Request) -> Response:
        with self.ctx.state.locked():
            app = find_app(self.ctx, request.path_params["app_id"])
            group_id = request.path_params["group_id"]
            if app.group_ids.pop(group_id, None) is None:
                raise not_found(group_id, "ApplicationGroupAssignment")
        return Response(status_code=204)
