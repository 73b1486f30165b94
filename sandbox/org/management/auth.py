"""Who is calling the Management API: `Authorization: SSWS <token>` with a token the org accepts.

The org accepts `ctx.api_token` and any token the control plane issued since (a second token lets
a test see the 50 % per-token share of a bucket). OAuth service-app bearer tokens are not
accepted yet.
"""

from __future__ import annotations

import hmac

from sandbox.org.context import OrgContext


def extra_tokens(ctx: OrgContext) -> set[str]:
    tokens = ctx.parts.get("api_tokens")
    if not isinstance(tokens, set):
        tokens = ctx.parts["api_tokens"] = set()
    return tokens


def authenticate(ctx: OrgContext, authorization: str | None) -> str | None:
    """The caller's token, or None when the header is missing, malformed or unknown."""
    # Okta's Python SDK 3.x sends `SSWS<token>` without the space (`Configuration.auth_settings`),
    # and works against real orgs: the scheme is a prefix, not a word.
    if not authorization or not authorization.startswith("SSWS"):
        return None
    token = authorization.removeprefix("SSWS").strip()
    if not token:
        return None
    for accepted in (ctx.api_token, *extra_tokens(ctx)):
        if hmac.compare_digest(token.encode(), accepted.encode()):
            return token
    return None
