"""The org's sign-in page (`/login/login.htm?fromURI=…`) and sign-out, which open and end sessions.

`fromURI` is where the browser goes once signed in; only a path on the org itself is accepted, so
the page cannot be used as an open redirect.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.org.context import OrgContext
from sandbox.org.oidc import signin_ie
from sandbox.org.oidc.provider import OidcProvider, provider_of
from sandbox.org.oidc.sessions import SESSION_COOKIE, clear_cookie, set_cookie
from sandbox.org.state import OrgUser
from sandbox.org.templating import page

SIGNIN_PATH = "/login/login.htm"
SIGNOUT_PATH = "/login/signout"
DASHBOARD_PATH = "/app/UserHome"


def safe_from_uri(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return DASHBOARD_PATH
    return value


def signin_redirect(from_uri: str) -> RedirectResponse:
    return RedirectResponse(f"{SIGNIN_PATH}?{urlencode({'fromURI': from_uri})}", status_code=302)


def check_password(user: OrgUser | None, password: str) -> bool:
    if user is None or user.password is None or user.status != "ACTIVE":
        return False
    return secrets.compare_digest(user.password.encode(), password.encode())


def routes(ctx: OrgContext) -> list[BaseRoute]:
    provider = provider_of(ctx)
    secure = provider.issuer.startswith("https://")

    def open_session(response: Response, user: OrgUser) -> None:
        set_cookie(response, provider.sessions.open(user), secure=secure)

    async def signin(request: Request) -> Response:
        if request.method == "GET":
            from_uri = safe_from_uri(request.query_params.get("fromURI"))
            if provider.sessions.of_request(request) is not None:
                return RedirectResponse(from_uri, status_code=302)
            if signin_ie.style(ctx) == "identity_engine":
                return await signin_ie.first_page(request, from_uri)
            return page(request, "signin.html", from_uri=from_uri, username="", error=None)
        if signin_ie.style(ctx) == "identity_engine":
            from_uri = safe_from_uri(request.query_params.get("fromURI"))
            return await signin_ie.answer(request, ctx, from_uri, check_password, open_session)
        async with request.form() as form:
            username = str(form.get("username", ""))
            password = str(form.get("password", ""))
            from_uri = safe_from_uri(str(form.get("fromURI", "")))
        user = ctx.state.user_by_login(username)
        if user is None or not check_password(user, password):
            return page(
                request,
                "signin.html",
                401,
                from_uri=from_uri,
                username=username,
                error="Unable to sign in",
            )
        response = RedirectResponse(from_uri, status_code=303)
        set_cookie(response, provider.sessions.open(user), secure=secure)
        return response

    async def signout(request: Request) -> Response:
        return sign_out(provider, request, RedirectResponse(SIGNIN_PATH, status_code=303))

    return [
        Route(SIGNIN_PATH, signin, methods=["GET", "POST"]),
        Route(SIGNOUT_PATH, signout, methods=["GET", "POST"]),
    ]


def sign_out(provider: OidcProvider, request: Request, response: Response) -> Response:
    provider.sessions.end(request.cookies.get(SESSION_COOKIE))
    clear_cookie(response, secure=provider.issuer.startswith("https://"))
    return response
