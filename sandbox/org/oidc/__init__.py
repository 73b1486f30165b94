"""The org authorization server: OIDC provider, sign-in page and Okta sessions.

`routes(ctx)` serves the org's `/oauth2/v1/*`, discovery, and `/login/*`; `control_routes(ctx)`
serves `/_sandbox/oidc/*` for tests. Runtime state lives in `provider_of(ctx)`.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from sandbox.org.context import OrgContext
from sandbox.org.oidc import endpoints, signin
from sandbox.org.oidc.control import control_routes
from sandbox.org.oidc.id_token import Misbehaviour
from sandbox.org.oidc.provider import OidcProvider, OidcSettings, provider_of
from sandbox.org.oidc.sessions import SESSION_COOKIE

__all__ = [
    "SESSION_COOKIE",
    "Misbehaviour",
    "OidcProvider",
    "OidcSettings",
    "control_routes",
    "provider_of",
    "routes",
]


def routes(ctx: OrgContext) -> list[BaseRoute]:
    return [*endpoints.routes(ctx), *signin.routes(ctx)]
