"""What every Management API call goes through before its endpoint: the door of the org.

In order: the concurrency limit, the token (401 `E0000011`), the bucket's rate limit (429
`E0000047`), then injected faults. Every answer, refused or not, carries the bucket's
`X-Rate-Limit-*` headers, `Date` on the org clock and an `X-Okta-Request-Id`.
"""

from __future__ import annotations

import asyncio
import secrets

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.org.context import OrgContext
from sandbox.org.faults import fault_injector
from sandbox.org.limits import Quota, org_clock, rate_limiter
from sandbox.org.management import auth
from sandbox.org.management.errors import (
    OktaApiError,
    error_response,
    injected,
    invalid_token,
    rate_limited,
)

_ANONYMOUS = ""


class ApiGate:
    def __init__(self, app: ASGIApp, ctx: OrgContext) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limiter = rate_limiter(self.ctx)
        refused = limiter.enter()
        if refused is not None:
            await self._refuse(rate_limited(), refused, scope, receive, send)
            return
        try:
            await self._admit(scope, receive, send)
        finally:
            limiter.leave()

    async def _admit(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        path: str = scope["path"]
        limiter = rate_limiter(self.ctx)
        bucket = limiter.bucket_for(method, path)
        token = auth.authenticate(self.ctx, Headers(scope=scope).get("authorization"))
        if token is None:
            quota = limiter.peek(bucket, _ANONYMOUS)
            await self._refuse(invalid_token(), quota, scope, receive, send)
            return
        quota = limiter.take(bucket, token)
        if not quota.allowed:
            await self._refuse(rate_limited(), quota, scope, receive, send)
            return
        outcome = fault_injector(self.ctx).decide(method, path)
        if outcome.latency > 0:
            await asyncio.sleep(org_clock(self.ctx).real_seconds(outcome.latency))
        if outcome.status is not None:
            await self._refuse(injected(outcome.status), quota, scope, receive, send)
            return
        await self.app(scope, receive, self._stamped(send, quota))

    async def _refuse(
        self, error: OktaApiError, quota: Quota, scope: Scope, receive: Receive, send: Send
    ) -> None:
        await error_response(error)(scope, receive, self._stamped(send, quota))

    def _stamped(self, send: Send, quota: Quota) -> Send:
        extra = {
            **quota.headers(),
            "Date": org_clock(self.ctx).http_date(),
            "X-Okta-Request-Id": secrets.token_urlsafe(18),
        }
        return stamp_headers(send, extra)


def stamp_headers(send: Send, extra: dict[str, str], *, replace: bool = True) -> Send:
    """Wrap `send` so the response start carries `extra` (replacing or only adding headers)."""
    encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
    names = {name for name, _ in encoded}

    async def stamped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
            present = {name.lower() for name, _ in headers}
            if replace:
                headers = [(n, v) for n, v in headers if n.lower() not in names]
                headers += encoded
            else:
                headers += [(n, v) for n, v in encoded if n not in present]
            message = {**message, "headers": headers}
        await send(message)

    return stamped
