"""The broker's ASGI app: `create_app(ctx)` composes every part's routes around one context.

Parts: health and metrics, the home page, sign-in with Okta (`auth`), the chiclet launch
(`launch`), the extension API under `/api/ext/v1` (with its OpenAPI document at
`/api/ext/v1/openapi.json`) and the SCIM server under `/scim/v2`. The OIDC
relying party's HTTP client lives as long as the app (the lifespan closes it); `oidc_transport`
lets tests put the sandbox org in process instead of on a socket. `okta_check` is the port
(`broker.ports`) through which **Test connection** reaches Okta: the composition root
(`latchkey.serve`) plugs sync's in; without one, the page says it cannot test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from broker import admin_api, ext_api, scim
from broker.context import BrokerContext
from broker.oidc.client import OidcConfig, RelyingParty
from broker.ports import OKTA_CHECK_STATE, OktaConnectionCheck
from broker.web import (
    account_list_pages,
    account_pages,
    activity_pages,
    auth,
    collection_pages,
    error_pages,
    health,
    import_pages,
    launch,
    members_pages,
    pages,
    profile_pages,
    settings_pages,
    share_pages,
    team_pages,
    token_pages,
)
from broker.web.metrics import Metrics, metrics_endpoint
from broker.web.observe import Observe
from broker.web.templating import STATIC


def _routes(ctx: BrokerContext) -> list[BaseRoute]:
    return [
        *health.routes(ctx),
        # The launch path first (the page, then the extension's calls): a request is matched
        # against the routes in order, and these are the hot ones. No other route shares their
        # prefixes, so the order changes nothing else.
        *launch.routes(),
        # The extension API serves its OpenAPI description at /api/ext/v1/openapi.json.
        Mount(ext_api.MOUNT_PATH, routes=ext_api.routes(ctx)),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        *pages.routes(),
        *auth.routes(),
        *settings_pages.routes(),
        *account_list_pages.routes(),  # before account_pages: /accounts/new, …/edit, …/delete
        *share_pages.routes(),
        *activity_pages.routes(),
        *account_pages.routes(),
        *profile_pages.routes(),
        *members_pages.routes(),
        *collection_pages.routes(),
        *team_pages.routes(),
        *token_pages.routes(),
        *import_pages.routes(),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        Mount(scim.PREFIX, routes=scim.routes(ctx)),
        # The admin API; /api/openapi.json describes it and the extension API in one document.
        Mount(admin_api.MOUNT_PATH, routes=admin_api.routes()),
        *admin_api.openapi_routes(),
    ]


def create_app(
    ctx: BrokerContext,
    *,
    oidc_transport: httpx.AsyncBaseTransport | None = None,
    okta_check: OktaConnectionCheck | None = None,
) -> Starlette:
    metrics = Metrics.new()
    relying_party = RelyingParty(OidcConfig.of(ctx.settings), transport=oidc_transport)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await relying_party.aclose()

    app = Starlette(
        routes=_routes(ctx),
        middleware=[Middleware(Observe, metrics=metrics)],
        exception_handlers=error_pages.handlers(),
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.state.metrics = metrics
    app.state.relying_party = relying_party
    setattr(app.state, OKTA_CHECK_STATE, okta_check)
    return app
