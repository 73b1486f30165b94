"""The End-User Dashboard: a signed-in user's chiclets, and the Bookmark links they open.

A chiclet is an ACTIVE app assigned to the user directly or through a group. A Bookmark tile
links to `/home/bookmark/{appId}/{linkId}`, which sends an assigned, signed-in user to the app's
`settings.app.url`; an unsigned user signs in first and comes back; anyone else gets a page that
says no.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.org.context import OrgContext
from sandbox.org.oidc import provider_of
from sandbox.org.oidc.signin import DASHBOARD_PATH, signin_redirect
from sandbox.org.state import OrgApp, OrgState
from sandbox.org.templating import error_page, page


@dataclass(frozen=True)
class Chiclet:
    app_id: str
    label: str
    link: str


def link_of(app: OrgApp) -> str:
    return f"/home/{quote(app.name, safe='')}/{app.id}/{app.link_id}"


def chiclets(state: OrgState, user_id: str) -> list[Chiclet]:
    with state.locked():
        # An OIDC app signs in from its own site ("Login initiated by: App Only", the default
        # for a web app), so it shows no tile; the sandbox's tiles are Bookmark apps.
        apps = [
            a
            for a in state.apps_of(user_id)
            if a.status == "ACTIVE" and a.sign_on_mode == "BOOKMARK"
        ]
    apps.sort(key=lambda a: (a.label.casefold(), a.id))
    return [Chiclet(app_id=a.id, label=a.label, link=link_of(a)) for a in apps]


def app_url(app: OrgApp) -> str | None:
    """`settings.app.url`, as a Bookmark app carries it."""
    section = app.settings.get("app")
    url = section.get("url") if isinstance(section, dict) else None
    return url if isinstance(url, str) and url else None


def routes(ctx: OrgContext) -> list[BaseRoute]:
    provider = provider_of(ctx)

    async def root(request: Request) -> Response:
        return RedirectResponse(DASHBOARD_PATH, status_code=302)

    async def user_home(request: Request) -> Response:
        user = provider.sessions.user_of(request)
        if user is None:
            return signin_redirect(DASHBOARD_PATH)
        return page(request, "dashboard.html", user=user, chiclets=chiclets(ctx.state, user.id))

    async def bookmark(request: Request) -> Response:
        app_id, link_id = request.path_params["app_id"], request.path_params["link_id"]
        app = ctx.state.apps.get(app_id)
        if app is None or app.link_id != link_id or app.sign_on_mode != "BOOKMARK":
            return error_page(request, 404, "Not found", "This app link does not exist.")
        user = provider.sessions.user_of(request)
        if user is None:
            return signin_redirect(request.url.path)
        if app.status != "ACTIVE":
            return error_page(request, 404, "Not found", "This app is not available.")
        with ctx.state.locked():
            assigned = ctx.state.is_assigned(app, user.id)
        if not assigned:
            return error_page(
                request,
                403,
                "Not assigned",
                f"You are not assigned to {app.label}. Ask your admin.",
            )
        url = app_url(app)
        if url is None:
            return error_page(request, 404, "Not found", f"{app.label} has no URL.")
        return RedirectResponse(url, status_code=302)

    return [
        Route("/", root),
        Route(DASHBOARD_PATH, user_home),
        Route("/home/bookmark/{app_id}/{link_id}", bookmark),
    ]
