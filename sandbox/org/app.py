"""The sandbox org as one ASGI app: Management API, OIDC provider, dashboard and control plane."""

from __future__ import annotations

from starlette.applications import Starlette

from sandbox.org import control, dashboard, management, oidc
from sandbox.org.context import OrgContext


def create_org_app(ctx: OrgContext, *, control_plane: bool = True) -> Starlette:
    routes = [*management.routes(ctx), *oidc.routes(ctx), *dashboard.routes(ctx)]
    if control_plane:
        routes += control.routes(ctx)
    app = Starlette(routes=routes)
    app.state.ctx = ctx
    return app
