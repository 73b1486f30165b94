"""Apps: create a Bookmark app, read, list, replace, activate, deactivate, delete.

Okta (Applications API): `POST /api/v1/apps?activate=true` answers 200 with the whole app; the
label is 1 to 100 characters; an app is deleted only once INACTIVE (else 403 `E0000056`), and,
for a moment after its deactivation, Okta may still answer that 403 (`Consistency.delete_lag`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.org.context import OrgContext
from sandbox.org.faults import fault_injector
from sandbox.org.management import filters
from sandbox.org.management.errors import (
    app_delete_forbidden,
    not_found,
    validation_failed,
)
from sandbox.org.management.shapes import app_json
from sandbox.org.management.wire import listing, read_json
from sandbox.org.state import OrgApp, now, okta_id

_FILTERABLE = ("id", "status", "name", "signOnMode", "label")
MAX_LABEL = 100


def find_app(ctx: OrgContext, app_id: str) -> OrgApp:
    """The app, or 404 `E0000007` (also for a GET that comes too soon after the create)."""
    app = ctx.state.apps.get(app_id)
    if app is None or not fault_injector(ctx).gettable(app.created):
        raise not_found(app_id, "AppInstance")
    return app


def _bookmark_fields(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The label and settings of a Bookmark app body, or 400 `E0000001` with its causes."""
    name = body.get("name")
    if not name:
        raise validation_failed("name", "name: The field cannot be left blank")
    if name != "bookmark":
        raise validation_failed("name", f"name: The sandbox only hosts bookmark apps, not {name}")
    if body.get("signOnMode", "BOOKMARK") != "BOOKMARK":
        raise validation_failed("signOnMode", "signOnMode: A bookmark app signs on by BOOKMARK")
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise validation_failed("label", "label: The field cannot be left blank")
    if len(label) > MAX_LABEL:
        raise validation_failed("label", f"label: The field cannot exceed {MAX_LABEL} characters")
    settings = body.get("settings")
    app_settings = settings.get("app") if isinstance(settings, dict) else None
    if not isinstance(app_settings, dict):
        app_settings = {}
    url = app_settings.get("url")
    if not isinstance(url, str) or not url:
        raise validation_failed("url", "url: The field cannot be left blank")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise validation_failed("url", "url: The URL is not valid")
    request_integration = bool(app_settings.get("requestIntegration", False))
    return label, {"app": {"url": url, "requestIntegration": request_integration}}


class AppsApi:
    def __init__(self, ctx: OrgContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/apps", self.list, methods=["GET"]),
            Route("/apps", self.create, methods=["POST"]),
            Route("/apps/{app_id}", self.get, methods=["GET"]),
            Route("/apps/{app_id}", self.replace, methods=["PUT"]),
            Route("/apps/{app_id}", self.delete, methods=["DELETE"]),
            Route("/apps/{app_id}/lifecycle/activate", self.activate, methods=["POST"]),
            Route("/apps/{app_id}/lifecycle/deactivate", self.deactivate, methods=["POST"]),
        ]

    def _json(self, app: OrgApp) -> dict[str, Any]:
        return app_json(self.ctx.base_url, app)

    async def create(self, request: Request) -> Response:
        label, settings = _bookmark_fields(await read_json(request))
        activate = request.query_params.get("activate", "true").lower() != "false"
        with self.ctx.state.locked() as state:
            app = OrgApp(
                id=okta_id("0oa"),
                name="bookmark",
                label=label,
                sign_on_mode="BOOKMARK",
                status="ACTIVE" if activate else "INACTIVE",
                settings=settings,
            )
            state.apps[app.id] = app
            return JSONResponse(self._json(app))

    async def get(self, request: Request) -> Response:
        with self.ctx.state.locked():
            return JSONResponse(self._json(find_app(self.ctx, request.path_params["app_id"])))

    async def list(self, request: Request) -> Response:
        faults = fault_injector(self.ctx)
        q = request.query_params.get("q", "").casefold()
        expression = request.query_params.get("filter")
        predicate = filters.parse(expression, _FILTERABLE) if expression else None
        with self.ctx.state.locked() as state:
            shaped = [
                (app.id, self._json(app))
                for app in state.apps.values()
                if faults.listed(app.created)
                and (
                    not q or app.name.casefold().startswith(q) or app.label.casefold().startswith(q)
                )
            ]
        matching = [item for item in shaped if predicate is None or predicate(item[1])]
        return listing(
            self.ctx.base_url,
            request,
            matching,
            key=lambda item: item[0],
            shape=lambda item: item[1],
            default_limit=20,
            max_limit=200,
        )

    async def replace(self, request: Request) -> Response:
        body = await read_json(request)
        with self.ctx.state.locked():
            app = find_app(self.ctx, request.path_params["app_id"])
            label, settings = _bookmark_fields(body)
            app.label = label
            app.settings = settings
            app.last_updated = now()
            return JSONResponse(self._json(app))

    async def delete(self, request: Request) -> Response:
        with self.ctx.state.locked() as state:
            app = find_app(self.ctx, request.path_params["app_id"])
            if app.status == "ACTIVE" or not fault_injector(self.ctx).deletable(app.deactivated):
                raise app_delete_forbidden(app.id)
            del state.apps[app.id]
        return Response(status_code=204)

    async def activate(self, request: Request) -> Response:
        return self._set_status(request, "ACTIVE")

    async def deactivate(self, request: Request) -> Response:
        return self._set_status(request, "INACTIVE")

    def _set_status(self, request: Request, status: str) -> Response:
        with self.ctx.state.locked():
            app = find_app(self.ctx, request.path_params["app_id"])
            if app.status != status:
                app.status = status
                app.last_updated = now()
                app.deactivated = app.last_updated if status == "INACTIVE" else None
        return JSONResponse({})
