"""The SCIM app's provisioning settings in the org, and `/_sandbox/scim/…` to drive them.

`configure` points the org's SCIM app at a server (URL, bearer token, PUT or PATCH updates); the
control routes push, deactivate and activate users, push and delete groups, and show the ids the
server gave back. The client itself is `sandbox.org.scim_client`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio
import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.org.context import OrgContext
from sandbox.org.limits import org_clock
from sandbox.org.scim_client import (
    PART,
    ScimClient,
    ScimHTTPError,
    ScimLinks,
    ScimNotConfigured,
    Sleep,
    Updates,
)
from sandbox.org.state import OrgGroup, OrgState, OrgUser, now


@dataclass
class ScimTarget:
    """The SCIM app's provisioning settings in the org, kept in `ctx.parts["scim"]`."""

    url: str | None = None
    token: str | None = None
    user_updates: Updates = "put"
    group_updates: Updates = "patch"
    transport: httpx.AsyncBaseTransport | None = None
    sleep: Sleep = anyio.sleep
    links: ScimLinks = field(default_factory=ScimLinks)

    def client(self) -> ScimClient:
        if not self.url or self.token is None:
            raise ScimNotConfigured("configure the SCIM target first: PUT /_sandbox/scim/target")
        return ScimClient(
            self.url,
            self.token,
            user_updates=self.user_updates,
            group_updates=self.group_updates,
            links=self.links,
            transport=self.transport,
            sleep=self.sleep,
        )


def target_of(ctx: OrgContext) -> ScimTarget:
    target = ctx.parts.get(PART)
    if target is None:
        clock = org_clock(ctx)

        async def sleep(org_seconds: float) -> None:
            # Okta's waits (minutes, on a 429) pass on the org's clock, scaled like the rest.
            await anyio.sleep(clock.real_seconds(org_seconds))

        target = ctx.parts[PART] = ScimTarget(sleep=sleep)
    assert isinstance(target, ScimTarget)
    return target


def configure(
    ctx: OrgContext,
    url: str,
    token: str,
    *,
    user_updates: Updates = "put",
    group_updates: Updates = "patch",
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Sleep = anyio.sleep,
) -> ScimTarget:
    """Point the org's SCIM app at a server; a new URL forgets the ids learned from the old one."""
    old = ctx.parts.get(PART)
    links = old.links if isinstance(old, ScimTarget) and old.url == url else ScimLinks()
    target = ScimTarget(url, token, user_updates, group_updates, transport, sleep, links)
    ctx.parts[PART] = target
    return target


def _find_user(state: OrgState, ref: str) -> OrgUser | None:
    return state.users.get(ref) or state.user_by_login(ref)


def _find_group(state: OrgState, ref: str) -> OrgGroup | None:
    return state.groups.get(ref) or next((g for g in state.groups.values() if g.name == ref), None)


def _problem(code: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=code)


def control_routes(ctx: OrgContext) -> list[BaseRoute]:
    """`/_sandbox/scim/…`: configure the target, push, deactivate and activate users, push and
    delete groups, and show the ids learned."""
    prefix = "/_sandbox/scim"

    def describe(target: ScimTarget) -> dict[str, object]:
        return {
            "url": target.url,
            "configured": bool(target.url and target.token is not None),
            "userUpdates": target.user_updates,
            "groupUpdates": target.group_updates,
        }

    async def target(request: Request) -> Response:
        if request.method == "PUT":
            try:
                data = json.loads(await request.body())
                url, token = str(data["url"]), str(data["token"])
                user_updates = data.get("userUpdates", "put")
                group_updates = data.get("groupUpdates", "patch")
                if user_updates not in ("put", "patch") or group_updates not in ("put", "patch"):
                    raise ValueError("userUpdates and groupUpdates are 'put' or 'patch'")
            except (ValueError, KeyError, TypeError) as exc:
                return _problem(400, f"expected {{url, token, userUpdates?, groupUpdates?}}: {exc}")
            configure(ctx, url, token, user_updates=user_updates, group_updates=group_updates)
        return JSONResponse(describe(target_of(ctx)))

    async def run(action: Callable[[ScimClient], Awaitable[object]]) -> Response:
        try:
            async with target_of(ctx).client() as client:
                result = await action(client)
        except ScimNotConfigured as exc:
            return _problem(409, str(exc))
        except ScimHTTPError as exc:
            return _problem(502, str(exc), status=exc.status, scimType=exc.scim_type)
        except httpx.HTTPError as exc:
            return _problem(502, f"the SCIM server did not answer: {exc!r}")
        return JSONResponse(result)

    async def user_action(request: Request) -> Response:
        user = _find_user(ctx.state, request.path_params["ref"])
        if user is None:
            return _problem(404, "no such user")
        action = request.path_params["action"]
        if action in ("deactivate", "activate"):
            with ctx.state.locked():
                user.status = "ACTIVE" if action == "activate" else "DEPROVISIONED"
                user.last_updated = now()

        async def act(client: ScimClient) -> object:
            if action == "push":
                scim_id: str | None = await client.push_user(user)
            else:
                scim_id = await client.set_active(user, action == "activate")
            return {"userId": user.id, "scimId": scim_id, "status": user.status}

        if action not in ("push", "deactivate", "activate"):
            return _problem(404, "actions: push, deactivate, activate")
        return await run(act)

    async def group_action(request: Request) -> Response:
        group = _find_group(ctx.state, request.path_params["ref"])
        if group is None:
            return _problem(404, "no such group")
        if request.method == "DELETE":

            async def delete(client: ScimClient) -> object:
                await client.delete_group(group)
                return {"groupId": group.id, "deleted": True}

            return await run(delete)
        with ctx.state.locked():
            members = [ctx.state.users[i] for i in sorted(group.member_ids) if i in ctx.state.users]
        members = [u for u in members if u.status == "ACTIVE"]

        async def push(client: ScimClient) -> object:
            scim_id = await client.push_group(group, members)
            return {"groupId": group.id, "scimId": scim_id, "members": [u.id for u in members]}

        return await run(push)

    async def links(request: Request) -> Response:
        known = target_of(ctx).links
        return JSONResponse({"users": known.users, "groups": known.groups})

    return [
        Route(f"{prefix}/target", target, methods=["GET", "PUT"]),
        Route(f"{prefix}/users/{{ref}}/{{action}}", user_action, methods=["POST"]),
        Route(f"{prefix}/groups/{{ref}}/push", group_action, methods=["POST"]),
        Route(f"{prefix}/groups/{{ref}}", group_action, methods=["DELETE"]),
        Route(f"{prefix}/links", links),
    ]
