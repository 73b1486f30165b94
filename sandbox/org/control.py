"""The control plane: JSON endpoints under `/_sandbox` that tests, the demo and QA drive.

Only mounted when the org is created with `control_plane=True`. Nothing here counts against rate
limits or asks for a token: it stands for an Okta admin clicking in the Admin Console.

- `GET  /_sandbox/state`: users, groups and apps with their assignments
- `POST /_sandbox/users` `{"login", "password", "firstName", "lastName", "email", "status"}`
- `POST /_sandbox/groups` `{"name", "description", "members": [id or login, …]}`
- `PUT|DELETE /_sandbox/groups/{group}/users/{user}`: membership
- `PATCH /_sandbox/apps/{app}` `{"label", "url", "status"}`: edit an app by hand (drift)
- `PUT|DELETE /_sandbox/apps/{app}/users/{user}`, `…/groups/{group}`: assign by hand (drift)
- `GET|POST|DELETE /_sandbox/faults`, `DELETE /_sandbox/faults/{id}`: injected faults
  (`{"path": "/api/v1/apps/*", "method": "POST", "status": 500, "rate": 1, "latency": 0,
  "remaining": null}`), `PUT /_sandbox/consistency` `{"list_lag", "get_lag", "delete_lag"}`
- `GET|PUT /_sandbox/limits` `{"enabled", "token_share", "concurrency", "window_seconds",
  "limits": {bucket: n}}`, `GET|PUT /_sandbox/clock` `{"scale"}`
- `GET|DELETE /_sandbox/calls`: calls and 429s per bucket (DELETE resets counts and windows)
- `POST /_sandbox/tokens`: one more API token; `POST /_sandbox/reset`: empty org, then the seed
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from sandbox.org import oidc, scim_control
from sandbox.org.context import OrgContext
from sandbox.org.faults import Consistency, Fault, fault_injector
from sandbox.org.limits import LimitSettings, org_clock, rate_limiter
from sandbox.org.management.auth import extra_tokens
from sandbox.org.state import OrgApp, OrgGroup, OrgUser, now

PREFIX = "/_sandbox"


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def _control_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ControlError)
    return JSONResponse({"error": exc.message}, status_code=exc.status)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ControlError(400, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise ControlError(400, "expected a JSON object")
    return data


def _user_view(user: OrgUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "login": user.login,
        "email": user.email,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "status": user.status,
    }


def _group_view(group: OrgGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "type": group.type,
        "members": sorted(group.member_ids),
    }


def _app_view(app: OrgApp) -> dict[str, Any]:
    return {
        "id": app.id,
        "name": app.name,
        "label": app.label,
        "status": app.status,
        "settings": app.settings,
        "users": sorted(app.user_ids),
        "groups": sorted(app.group_ids),
    }


class ControlPlane:
    def __init__(self, ctx: OrgContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/state", self.state, methods=["GET"]),
            Route("/users", self.create_user, methods=["POST"]),
            Route("/groups", self.create_group, methods=["POST"]),
            Route("/groups/{group}/users/{user}", self.membership, methods=["PUT", "DELETE"]),
            Route("/apps/{app}", self.edit_app, methods=["PATCH"]),
            Route("/apps/{app}/users/{user}", self.assign_user, methods=["PUT", "DELETE"]),
            Route("/apps/{app}/groups/{group}", self.assign_group, methods=["PUT", "DELETE"]),
            Route("/faults", self.faults, methods=["GET", "POST", "DELETE"]),
            Route("/faults/{fault}", self.remove_fault, methods=["DELETE"]),
            Route("/consistency", self.consistency, methods=["GET", "PUT"]),
            Route("/limits", self.limits, methods=["GET", "PUT"]),
            Route("/clock", self.clock, methods=["GET", "PUT"]),
            Route("/calls", self.calls, methods=["GET", "DELETE"]),
            Route("/tokens", self.issue_token, methods=["POST"]),
            Route("/reset", self.reset, methods=["POST"]),
        ]

    # -- directory -------------------------------------------------------------------------

    def _user(self, ref: str) -> OrgUser:
        user = self.ctx.state.users.get(ref) or self.ctx.state.user_by_login(ref)
        if user is None:
            raise ControlError(404, f"no user {ref}")
        return user

    def _group(self, ref: str) -> OrgGroup:
        state = self.ctx.state
        group = state.groups.get(ref) or next(
            (g for g in state.groups.values() if g.name == ref), None
        )
        if group is None:
            raise ControlError(404, f"no group {ref}")
        return group

    def _app(self, ref: str) -> OrgApp:
        app = self.ctx.state.apps.get(ref)
        if app is None:
            raise ControlError(404, f"no app {ref}")
        return app

    async def state(self, request: Request) -> Response:
        with self.ctx.state.locked() as state:
            return JSONResponse(
                {
                    "users": [_user_view(u) for u in state.users.values()],
                    "groups": [_group_view(g) for g in state.groups.values()],
                    "apps": [_app_view(a) for a in state.apps.values()],
                }
            )

    async def create_user(self, request: Request) -> Response:
        body = await _body(request)
        login = body.get("login")
        if not isinstance(login, str) or not login:
            raise ControlError(400, "login is required")
        with self.ctx.state.locked() as state:
            if state.user_by_login(login) is not None:
                raise ControlError(409, f"a user with login {login} exists")
            user = state.add_user(
                login,
                first_name=str(body.get("firstName", "")),
                last_name=str(body.get("lastName", "")),
                email=body.get("email") or None,
                password=body.get("password") or None,
                status=str(body.get("status", "ACTIVE")),
            )
            return JSONResponse(_user_view(user), status_code=201)

    async def create_group(self, request: Request) -> Response:
        body = await _body(request)
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise ControlError(400, "name is required")
        with self.ctx.state.locked() as state:
            members = [self._user(str(ref)).id for ref in body.get("members", [])]
            group = state.add_group(name, str(body.get("description", "")))
            group.member_ids.update(members)
            return JSONResponse(_group_view(group), status_code=201)

    async def membership(self, request: Request) -> Response:
        with self.ctx.state.locked():
            group = self._group(request.path_params["group"])
            user = self._user(request.path_params["user"])
            if request.method == "PUT":
                group.member_ids.add(user.id)
            else:
                group.member_ids.discard(user.id)
            group.last_membership_updated = now()
        return Response(status_code=204)

    async def edit_app(self, request: Request) -> Response:
        body = await _body(request)
        with self.ctx.state.locked():
            app = self._app(request.path_params["app"])
            if "label" in body:
                app.label = str(body["label"])
            if "url" in body:
                current = app.settings.get("app")
                settings_app = dict(current) if isinstance(current, dict) else {}
                settings_app["url"] = str(body["url"])
                app.settings = {**app.settings, "app": settings_app}
            if "status" in body:
                if body["status"] not in ("ACTIVE", "INACTIVE"):
                    raise ControlError(400, "status is ACTIVE or INACTIVE")
                app.status = str(body["status"])
            app.last_updated = now()
            return JSONResponse(_app_view(app))

    async def assign_user(self, request: Request) -> Response:
        with self.ctx.state.locked():
            app = self._app(request.path_params["app"])
            user = self._user(request.path_params["user"])
            if request.method == "PUT":
                app.user_ids.setdefault(user.id, now())
            else:
                app.user_ids.pop(user.id, None)
        return Response(status_code=204)

    async def assign_group(self, request: Request) -> Response:
        with self.ctx.state.locked():
            app = self._app(request.path_params["app"])
            group = self._group(request.path_params["group"])
            if request.method == "PUT":
                app.group_ids.setdefault(group.id, now())
            else:
                app.group_ids.pop(group.id, None)
        return Response(status_code=204)

    # -- faults, limits, clock ---------------------------------------------------------------

    async def faults(self, request: Request) -> Response:
        injector = fault_injector(self.ctx)
        if request.method == "DELETE":
            injector.clear()
        elif request.method == "POST":
            body = await _body(request)
            status = body.get("status", 500)
            remaining = body.get("remaining")
            try:
                fault = injector.add(
                    Fault(
                        path=str(body["path"]),
                        method=str(body.get("method", "*")).upper(),
                        status=None if status is None else int(status),
                        rate=float(body.get("rate", 1.0)),
                        latency=float(body.get("latency", 0.0)),
                        remaining=None if remaining is None else int(remaining),
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise ControlError(400, f"bad fault: {exc}") from None
            return JSONResponse(dataclasses.asdict(fault), status_code=201)
        return JSONResponse([dataclasses.asdict(f) for f in injector.faults()])

    async def remove_fault(self, request: Request) -> Response:
        if not fault_injector(self.ctx).remove(request.path_params["fault"]):
            raise ControlError(404, "no such fault")
        return Response(status_code=204)

    async def consistency(self, request: Request) -> Response:
        injector = fault_injector(self.ctx)
        if request.method == "PUT":
            body = await _body(request)
            try:
                injector.consistency = Consistency(
                    list_lag=float(body.get("list_lag", 0.0)),
                    get_lag=float(body.get("get_lag", 0.0)),
                    delete_lag=float(body.get("delete_lag", 0.0)),
                )
            except (TypeError, ValueError) as exc:
                raise ControlError(400, f"bad consistency: {exc}") from None
        return JSONResponse(dataclasses.asdict(injector.consistency))

    async def limits(self, request: Request) -> Response:
        limiter = rate_limiter(self.ctx)
        if request.method == "PUT":
            body = await _body(request)
            current = limiter.settings
            try:
                limits = {str(k): int(v) for k, v in dict(body.get("limits", {})).items()}
                limiter.configure(
                    LimitSettings(
                        enabled=bool(body.get("enabled", current.enabled)),
                        token_share=float(body.get("token_share", current.token_share)),
                        concurrency=int(body.get("concurrency", current.concurrency)),
                        window_seconds=float(body.get("window_seconds", current.window_seconds)),
                        limits={**current.limits, **limits},
                    )
                )
            except (TypeError, ValueError) as exc:
                raise ControlError(400, f"bad limits: {exc}") from None
        settings = limiter.settings
        return JSONResponse(
            {
                **dataclasses.asdict(settings),
                "buckets": [
                    {
                        "name": b.name,
                        "pattern": b.pattern,
                        "methods": sorted(b.methods),
                        "limit": settings.limit_of(b),
                        "token_limit": settings.token_limit_of(b),
                    }
                    for b in limiter.buckets
                ],
            }
        )

    async def clock(self, request: Request) -> Response:
        clock = org_clock(self.ctx)
        if request.method == "PUT":
            body = await _body(request)
            try:
                clock.set_scale(float(body["scale"]))
            except (KeyError, TypeError, ValueError) as exc:
                raise ControlError(400, f"bad scale: {exc}") from None
        return JSONResponse({"scale": clock.scale, "now": clock.now()})

    async def calls(self, request: Request) -> Response:
        limiter = rate_limiter(self.ctx)
        if request.method == "DELETE":
            limiter.reset()
            return Response(status_code=204)
        return JSONResponse({k: dataclasses.asdict(v) for k, v in limiter.counts().items()})

    async def issue_token(self, request: Request) -> Response:
        token = "00" + secrets.token_urlsafe(30)
        extra_tokens(self.ctx).add(token)
        return JSONResponse({"token": token}, status_code=201)

    async def reset(self, request: Request) -> Response:
        """Back to a fresh org: no objects, faults, counts or extra tokens; then the seed."""
        self.ctx.state.clear()
        fault_injector(self.ctx).clear()
        rate_limiter(self.ctx).reset()
        extra_tokens(self.ctx).clear()
        if self.ctx.seed is not None:
            self.ctx.seed(self.ctx.state)
        return await self.state(request)


def routes(ctx: OrgContext) -> list[BaseRoute]:
    plane = Starlette(
        routes=ControlPlane(ctx).routes(),
        exception_handlers={ControlError: _control_error},
    )
    return [
        *oidc.control_routes(ctx),
        *scim_control.control_routes(ctx),
        Mount(PREFIX, app=plane),
    ]
