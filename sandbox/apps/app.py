"""The demo sites as one ASGI app: an index at `/`, then each site under `/<key>/`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.apps import control, password_change, signin
from sandbox.apps.accounts import AccountBook
from sandbox.apps.context import AppsContext
from sandbox.apps.seed import SiteSeed, demo_seed
from sandbox.apps.sites import site_by_key
from sandbox.apps.templating import render


def create_apps_app(
    seed: Iterable[SiteSeed] | None = None,
    *,
    clock: Callable[[], float] = time.time,
    control_plane: bool = True,
    reject_reused_codes: bool = False,
) -> Starlette:
    """The demo login sites, with the accounts of `seed` (a fresh `demo_seed()` when None).

    `clock` gives the time TOTP codes are checked at; `reject_reused_codes` refuses a code whose
    time step was already used for that account (RFC 6238 §5.2), which real sites may do but
    which makes back-to-back test logins wait for the next step.
    """
    ctx = AppsContext(book=AccountBook(reject_reused_codes=reject_reused_codes), clock=clock)
    for entry in demo_seed() if seed is None else seed:
        ctx.book.put(site_by_key(entry.site).key, entry.credentials)

    async def index(request: Request) -> Response:
        return render(request, "pages/index.html", {"sites": ctx.sites})

    routes = [Route("/", index, methods=["GET"])]
    for site in ctx.sites:
        routes += signin.routes(ctx, site) + password_change.routes(ctx, site)
    if control_plane:
        routes += control.routes(ctx)
    app = Starlette(routes=routes)
    app.state.ctx = ctx
    return app


def seed_of(app: Starlette) -> tuple[SiteSeed, ...]:
    """The accounts the app holds now (passwords as changed since), one entry per account."""
    ctx: AppsContext = app.state.ctx
    return control.current_seed(ctx)
