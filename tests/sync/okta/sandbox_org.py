"""The sandbox org in process, on a virtual clock shared with the client's limiter.

The org's clock (its `Date`, windows and resets) reads the same virtual time as the limiter, and
every wait of the limiter moves that time forward at once: a test that waits out three rate-limit
windows runs in milliseconds, with headers as consistent as a real org's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio
import httpx

from sandbox.org.context import OrgContext
from sync.okta.auth import SSWS
from sync.okta.client import OktaClient
from sync.okta.limiter import Limiter, LimiterSettings

ORG_URL = "http://org.okta.test"
LAUNCH = "http://127.0.0.1:8400/launch/"


class VirtualClock:
    """Local time that stands still until someone sleeps, then jumps to their deadline."""

    def __init__(self, start: float) -> None:
        self.t = start
        self.slept = 0.0

    def now(self) -> float:
        return self.t

    def wall(self) -> float:
        return self.t

    async def sleep_until(self, deadline: float) -> None:
        if deadline > self.t:
            self.slept += deadline - self.t
            self.t = deadline
        await anyio.lowlevel.checkpoint()


class Recording(httpx.AsyncBaseTransport):
    """A transport that notes each request, when it was sent and how many were in flight."""

    def __init__(self, inner: httpx.AsyncBaseTransport, clock: VirtualClock) -> None:
        self.inner = inner
        self.clock = clock
        self.sent: list[tuple[float, httpx.Request]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((self.clock.now(), request))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1


@dataclass
class Org:
    ctx: OrgContext
    clock: VirtualClock
    token: str
    transport: httpx.ASGITransport
    control: httpx.AsyncClient

    def client(
        self, transport: httpx.AsyncBaseTransport | None = None, **settings: Any
    ) -> OktaClient:
        limiter = Limiter(LimiterSettings(**settings), clock=self.clock)
        return OktaClient(
            ORG_URL, SSWS(self.token), transport=transport or self.transport, limiter=limiter
        )

    def recording(self) -> Recording:
        return Recording(self.transport, self.clock)

    async def calls(self) -> dict[str, dict[str, int]]:
        """Calls and 429s per bucket, as the org counted them."""
        answer: dict[str, dict[str, int]] = (await self.control.get("/calls")).json()
        return answer

    async def state(self) -> dict[str, Any]:
        answer: dict[str, Any] = (await self.control.get("/state")).json()
        return answer

    async def app_state(self, app_id: str) -> dict[str, Any]:
        return next(a for a in (await self.state())["apps"] if a["id"] == app_id)


def launch_url(account: str) -> str:
    return LAUNCH + account
