"""Fixtures: the sandbox org on a virtual clock (`sandbox_org.py`) and a client of it."""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from sandbox import seed
from sandbox.org.app import create_org_app
from sandbox.org.clock import Clock
from sandbox.org.context import OrgContext
from sync.okta.client import OktaClient
from tests.sync.okta.sandbox_org import ORG_URL, Org, VirtualClock


@pytest.fixture
def clock() -> VirtualClock:
    # Half a second into a fresh minute, so windows fall where a test counts them.
    return VirtualClock(math.floor(time.time() / 60) * 60 + 60.5)


@pytest.fixture
async def org(clock: VirtualClock) -> AsyncIterator[Org]:
    token = "00" + secrets.token_urlsafe(30)
    ctx = OrgContext(base_url=ORG_URL, api_token=token, seed=seed.apply)
    ctx.parts["clock"] = Clock(wall=clock.wall)
    seed.apply(ctx.state)
    transport = httpx.ASGITransport(create_org_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url=f"{ORG_URL}/_sandbox") as control:
        yield Org(ctx, clock, token, transport, control)


@pytest.fixture
async def okta(org: Org) -> AsyncIterator[OktaClient]:
    async with org.client() as client:
        yield client
