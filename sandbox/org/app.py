"""The sandbox org as one ASGI app: Management API, OIDC provider, dashboard and control plane."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.org import control, dashboard, management, oidc
from sandbox.org.context import OrgContext
from sandbox.org.limits import org_clock
from sandbox.org.management.gate import stamp_headers


class _OrgDate:
    """`Date` on every answer, read from the org clock (so it follows the time scale)."""

    def __init__(self, app: ASGIApp, ctx: OrgContext) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        date = {"Date": org_clock(self.ctx).http_date()}
        await self.app(scope, receive, stamp_headers(send, date, replace=False))


def create_org_app(ctx: OrgContext, *, control_plane: bool = True) -> Starlette:
    routes = [*management.routes(ctx), *oidc.routes(ctx), *dashboard.routes(ctx)]
    if control_plane:
        routes += control.routes(ctx)
    app = Starlette(routes=routes, middleware=[Middleware(_OrgDate, ctx=ctx)])
    app.state.ctx = ctx
    return app
