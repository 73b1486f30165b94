"""The client on the real clock, over real HTTP, against a time-scaled sandbox org.

The other tests run on a virtual clock; this one checks that the same limiter, on the system
clock, turns Okta's `Reset` and `Date` (on an org clock running 60 times faster) into the right
real waits: no 429, and no more waiting than the windows need.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import anyio
import httpx
import pytest

from sandbox.org.limits import org_clock
from sandbox.serve import RunningOrg, serve_org
from sync.okta.auth import SSWS
from sync.okta.client import OktaClient
from sync.okta.limiter import Limiter, LimiterSettings

TOKEN = "00" + secrets.token_urlsafe(30)
SCALE = 60.0

pytestmark = pytest.mark.anyio


@pytest.fixture
def running() -> Iterator[RunningOrg]:
    with serve_org(api_token=TOKEN) as org:
        org_clock(org.ctx).set_scale(SCALE)
        yield org


async def test_a_burst_over_two_windows_on_a_time_scaled_org_meets_no_429(
    running: RunningOrg,
) -> None:
    limiter = Limiter(LimiterSettings(time_scale=SCALE))
    users = [running.ctx.state.add_user(f"h{i}@example.com").id for i in range(74)]
    # Start early in a window, so the burst needs exactly one reset.
    clock = org_clock(running.ctx)
    time.sleep(clock.real_seconds(60 - clock.now() % 60) + 0.02)

    first_window = clock.now() // 60
    async with OktaClient(running.url, SSWS(TOKEN), limiter=limiter) as okta:
        app = await okta.create_bookmark_app("Scaled - Site", f"{running.url}/launch/acc1")
        async with anyio.create_task_group() as group:
            for user in users:
                group.start_soon(okta.assign_user, app.id, user)
    last_window = clock.now() // 60

    with httpx.Client(base_url=f"{running.url}/_sandbox") as control:
        calls = control.get("/calls").json()["apps"]
    assert calls == {"calls": 75, "throttled": 0}
    assert set(running.ctx.state.apps[app.id].user_ids) == set(users)
    # 50 calls, the reset, 25 more: the burst waited for the next window (on the org's clock, not
    # the wall's, so a loaded machine cannot fail it) and was paced, not refused.
    assert last_window > first_window
    assert limiter.stats()["apps"].delayed > 0
