"""Changing a demo site's password: the page a signed-in user fills, and a JSON endpoint.

The JSON endpoint, `POST /<site>/api/password`, is what a password-rotation driver calls with the
current credentials (no session needed)::

    {"username": "alice@demo.test", "current_password": "…", "new_password": "…",
     "otp": "123456"}            # "otp" only on sites with a verification-code step

    200 {"status": "changed", "username": "alice@demo.test"}
    400 {"error": "invalid_request", "error_description": "…"}    not JSON, or a field missing
    401 {"error": "invalid_credentials", "error_description": "…"}  wrong username or password
    401 {"error": "invalid_code", "error_description": "…"}         wrong or missing code
    415 {"error": "invalid_request", …}                             Content-Type is not JSON
    422 {"error": "weak_password" | "password_reused", "error_description": "…"}

A changed password signs out the user's other sessions on that site.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.apps.accounts import PasswordChangeError
from sandbox.apps.context import AppsContext
from sandbox.apps.signin import EXPIRED_FORM, csrf_ok, field, page, redirect
from sandbox.apps.sites import Site

TEMPLATE = "pages/change_password.html"


def _error(status_code: int, error: str, description: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


class _PasswordChange:
    def __init__(self, ctx: AppsContext, site: Site) -> None:
        self.ctx = ctx
        self.site = site

    async def form(self, request: Request) -> Response:
        site, session = self.site, self.ctx.sessions.ensure(request, self.site)
        username = session.signed_in_user
        if username is None:
            return redirect(site, session, site.login_path)
        if request.method == "GET":
            return page(request, site, session, TEMPLATE, username=username)
        form = await request.form()
        new = field(form, "new_password")
        if not csrf_ok(form, site, session):
            error, status_code = EXPIRED_FORM, 403
        elif new != field(form, "confirm_password"):
            error, status_code = "The new passwords do not match.", 400
        else:
            try:
                self.ctx.book.change_password(
                    site.key, username, field(form, "current_password"), new
                )
            except PasswordChangeError as exc:
                error = exc.summary
                status_code = 401 if exc.code == "invalid_credentials" else 400
            else:
                self.ctx.sessions.end_user(site.key, username, keep=session)
                return redirect(site, session, site.account_path + "?notice=password_changed")
        return page(
            request, site, session, TEMPLATE, status_code=status_code,
            username=username, error=error,
        )  # fmt: skip

    async def api(self, request: Request) -> Response:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _error(415, "invalid_request", "Send the request as application/json.")
        try:
            body: Any = json.loads(await request.body())
        except ValueError:
            return _error(400, "invalid_request", "The body is not JSON.")
        wanted = ["username", "current_password", "new_password"]
        if self.site.code is not None:
            wanted.append("otp")
        if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in wanted):
            return _error(400, "invalid_request", "Give " + ", ".join(wanted) + " as strings.")
        username, current, new = body["username"], body["current_password"], body["new_password"]
        if not self.ctx.book.check_password(self.site.key, username, current):
            return _error(401, "invalid_credentials", "Incorrect username or password.")
        if self.site.code is not None and not self.ctx.book.check_code(
            self.site.key, username, body["otp"], self.ctx.clock()
        ):
            return _error(401, "invalid_code", "The verification code is wrong or expired.")
        try:
            self.ctx.book.change_password(self.site.key, username, current, new)
        except PasswordChangeError as exc:
            status_code = 401 if exc.code == "invalid_credentials" else 422
            return _error(status_code, exc.code, exc.summary)
        stored = self.ctx.book.display_name(self.site.key, username)
        self.ctx.sessions.end_user(self.site.key, stored)
        return JSONResponse({"status": "changed", "username": stored})


def routes(ctx: AppsContext, site: Site) -> list[Route]:
    views = _PasswordChange(ctx, site)
    return [
        Route(site.change_password_path, views.form, methods=["GET", "POST"]),
        Route(site.api_password_path, views.api, methods=["POST"]),
    ]
