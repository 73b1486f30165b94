"""The demo sites' control plane, under `/_control/`, for tests, the demo and `latchkey seed demo`.

GET  /_control/seed        {"sites": [{"site", "name", "login_path", "username", "password",
                                       "totp_secret"}, …]}   one entry per account, current
POST /_control/accounts    {"site", "username", "password", "totp_secret"?} → 200, the entry
                           (creates the account, or replaces its password and secret)
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.apps.accounts import DemoCredentials
from sandbox.apps.context import AppsContext
from sandbox.apps.seed import SiteSeed, site_seed
from sandbox.apps.sites import UnknownSiteError, site_by_key
from sandbox.apps.totp import InvalidSecretError


def current_seed(ctx: AppsContext) -> tuple[SiteSeed, ...]:
    return tuple(
        site_seed(site, one) for site in ctx.sites for one in ctx.book.credentials(site.key)
    )


def _bad(description: str) -> JSONResponse:
    return JSONResponse(
        {"error": "invalid_request", "error_description": description}, status_code=400
    )


def routes(ctx: AppsContext) -> list[Route]:
    async def seed(request: Request) -> Response:
        entries = [dataclasses.asdict(one) for one in current_seed(ctx)]
        return JSONResponse({"sites": entries}, headers={"Cache-Control": "no-store"})

    async def put_account(request: Request) -> Response:
        try:
            body: Any = json.loads(await request.body())
        except ValueError:
            return _bad("The body is not JSON.")
        if not isinstance(body, dict) or not all(
            isinstance(body.get(k), str) and body[k] for k in ("site", "username", "password")
        ):
            return _bad("Give site, username and password as non-empty strings.")
        secret = body.get("totp_secret")
        if secret is not None and not isinstance(secret, str):
            return _bad("totp_secret must be a base32 string.")
        try:
            site = site_by_key(body["site"])
            if site.code is not None and secret is None:
                return _bad(f"Site {site.key!r} asks for a code: give totp_secret.")
            credentials = DemoCredentials(body["username"], body["password"], secret)
            ctx.book.put(site.key, credentials)
        except UnknownSiteError:
            return _bad(f"No site {body['site']!r}.")
        except InvalidSecretError as exc:
            return _bad(str(exc))
        return JSONResponse(dataclasses.asdict(site_seed(site, credentials)))

    return [
        Route("/_control/seed", seed, methods=["GET"]),
        Route("/_control/accounts", put_account, methods=["POST"]),
    ]
