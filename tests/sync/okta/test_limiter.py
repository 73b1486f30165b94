"""The limiter against the sandbox's rate limits: a share of each bucket, no 429, waits read
against `Date`, 429 storms, the concurrency cap, and retries of what is safe to repeat."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime
from email.utils import formatdate

import anyio
import httpx
import pytest

from sandbox.seed import seed_user
from sync.okta.auth import SSWS
from sync.okta.client import OktaClient
from sync.okta.errors import Forbidden, OktaTimeout, RateLimited, ServerError
from sync.okta.limiter import Limiter, LimiterSettings
from tests.sync.okta.sandbox_org import ORG_URL, Org, VirtualClock, launch_url

pytestmark = pytest.mark.anyio

OWNER = seed_user("owner").id


async def _assign_many(okta: OktaClient, org: Org, n: int) -> tuple[str, list[str]]:
    app = await okta.create_bookmark_app("Crowd - Site", launch_url("acc1"))
    users = [org.ctx.state.add_user(f"u{i}@example.com").id for i in range(n)]
    async with anyio.create_task_group() as group:
        for user in users:
            group.start_soon(okta.assign_user, app.id, user)
    return app.id, users


async def test_a_burst_past_the_share_waits_for_the_reset_and_meets_no_429(org: Org) -> None:
    started = org.clock.now()
    async with org.client() as okta:
        app_id, users = await _assign_many(okta, org, 129)  # 130 calls, 50 a window

    calls = (await org.calls())["apps"]
    assert calls == {"calls": 130, "throttled": 0}
    assert set((await org.app_state(app_id))["users"]) == set(users)
    assert okta.limiter.stats()["apps"].throttled == 0
    assert okta.limiter.stats()["apps"].delayed > 0
    assert 119 <= org.clock.now() - started < 122  # three windows: two resets waited for


async def test_the_configured_share_caps_calls_even_when_okta_would_allow_more(org: Org) -> None:
    await org.control.put("/limits", json={"token_share": 1.0})  # Okta says 100 a minute
    recording = org.recording()
    async with org.client(recording, share=0.5) as okta:
        await _assign_many(okta, org, 119)

    per_window = Counter(math.floor(t / 60) for t, _ in recording.sent)
    assert max(per_window.values()) == 50
    assert len(per_window) == 3
    assert (await org.calls())["apps"]["throttled"] == 0


async def test_a_smaller_limit_in_the_headers_wins_over_the_share(org: Org) -> None:
    await org.control.put("/limits", json={"limits": {"apps": 10}})  # 5 for this token
    recording = org.recording()
    async with org.client(recording) as okta:
        await _assign_many(okta, org, 11)

    per_window = Counter(math.floor(t / 60) for t, _ in recording.sent)
    assert sorted(per_window.values()) == [2, 5, 5]
    assert (await org.calls())["apps"]["throttled"] == 0


@pytest.mark.parametrize("skew", [-3 * 3600, 3 * 3600, 17.3])
async def test_the_wait_for_the_reset_is_read_against_date_not_the_local_clock(
    clock: VirtualClock, skew: float
) -> None:
    served: list[int] = []

    def okta(request: httpx.Request) -> httpx.Response:
        # An org whose clock is `skew` seconds off ours, 5 calls a minute.
        server_now = clock.now() + skew
        window = math.floor(server_now / 60)
        served.append(window)
        used = served.count(window)
        headers = {
            "Date": formatdate(server_now, usegmt=True),
            "X-Rate-Limit-Limit": "5",
            "X-Rate-Limit-Remaining": str(max(0, 5 - used)),
            "X-Rate-Limit-Reset": str((window + 1) * 60),
        }
        if used > 5:
            return httpx.Response(429, headers=headers, json={"errorCode": "E0000047"})
        return httpx.Response(200, headers=headers, json={"id": "0oa1", "label": "x"})

    started = clock.now()
    to_reset = 60 - (started + skew) % 60
    limiter = Limiter(clock=clock)
    async with OktaClient(
        ORG_URL, SSWS("00t"), transport=httpx.MockTransport(okta), limiter=limiter
    ) as client:
        for _ in range(12):
            await client.get_app("0oa1")

    assert limiter.stats()["app"].throttled == 0
    assert sorted(Counter(served).values()) == [2, 5, 5]
    # Two resets: the first `to_reset` seconds away, the next a minute later (+ Date's rounding).
    assert to_reset + 60 <= clock.now() - started <= to_reset + 62


async def test_a_429_storm_is_waited_out_and_the_call_retried(org: Org) -> None:
    async with org.client() as okta:
        app = await okta.create_bookmark_app("Storm - Site", launch_url("acc1"))
        storm = {"path": "/api/v1/apps/*/users", "status": 429, "remaining": 2}
        await org.control.post("/faults", json=storm)
        started = org.clock.now()

        assert await okta.assign_user(app.id, OWNER) is True

    assert okta.limiter.stats()["apps"].throttled == 2
    assert org.clock.now() - started >= 60  # each 429 waited for its window's reset
    assert (await org.app_state(app.id))["users"] == [OWNER]


async def test_rate_limited_surfaces_once_the_retries_are_spent(org: Org) -> None:
    async with org.client(rate_limit_retries=2) as okta:
        app = await okta.create_bookmark_app("Storm - Site", launch_url("acc1"))
        await org.control.post("/faults", json={"path": "/api/v1/apps/*/users", "status": 429})

        with pytest.raises(RateLimited) as refused:
            await okta.assign_user(app.id, OWNER)

    assert okta.limiter.stats()["apps"].throttled == 3
    assert refused.value.error_code == "E0000047"
    assert refused.value.reset_at is not None
    assert refused.value.retry_after is not None
    assert 0 < refused.value.retry_after <= 60


async def _find_groups_at_once(org: Org, okta: OktaClient, n: int) -> None:
    await org.control.post(
        "/faults", json={"path": "/api/v1/groups", "status": None, "latency": 0.02}
    )
    await okta.find_groups("Engineering")  # learn the groups bucket's window first
    async with anyio.create_task_group() as group:
        for _ in range(n):
            group.start_soon(okta.find_groups, "Engineering")


async def test_the_concurrency_cap_holds(org: Org) -> None:
    await org.control.put("/limits", json={"concurrency": 3})
    recording = org.recording()
    async with org.client(recording, concurrency=3) as okta:
        await _find_groups_at_once(org, okta, 24)

    assert recording.max_in_flight == 3
    assert okta.limiter.max_in_flight == 3
    assert okta.limiter.stats()["groups"].throttled == 0


async def test_concurrency_429s_are_waited_out_and_lower_the_cap(org: Org) -> None:
    await org.control.put("/limits", json={"concurrency": 3})  # Okta allows fewer than we do
    recording = org.recording()
    async with org.client(recording, concurrency=8) as okta:
        await _find_groups_at_once(org, okta, 24)

    groups = okta.limiter.stats()["groups"]
    assert groups.throttled > 0
    assert groups.calls - groups.throttled == 25  # every call got through in the end
    assert recording.max_in_flight <= 8


async def test_a_5xx_on_a_read_is_retried_with_backoff(org: Org) -> None:
    await org.control.post(
        "/faults", json={"path": "/api/v1/apps", "method": "GET", "remaining": 2}
    )
    async with org.client() as okta:
        assert await okta.list_bookmark_apps() == []

    assert okta.limiter.stats()["apps"].calls == 3


async def test_a_5xx_that_persists_surfaces_as_a_server_error(org: Org) -> None:
    await org.control.post("/faults", json={"path": "/api/v1/apps", "method": "GET", "status": 503})
    async with org.client() as okta:
        with pytest.raises(ServerError) as failed:
            await okta.list_bookmark_apps()

    assert (failed.value.status, failed.value.error_code) == (503, "E0000010")
    assert okta.limiter.stats()["apps"].calls == 1 + okta.error_retries


async def test_a_5xx_on_create_is_never_repeated(org: Org) -> None:
    await org.control.post(
        "/faults", json={"path": "/api/v1/apps", "method": "POST", "remaining": 1}
    )
    async with org.client() as okta:
        with pytest.raises(ServerError):
            await okta.create_bookmark_app("Once - Site", launch_url("acc1"))

    assert okta.limiter.stats()["apps"].calls == 1


async def test_a_404_right_after_create_is_retried_until_the_app_shows(
    org: Org, clock: VirtualClock
) -> None:
    await org.control.put("/consistency", json={"get_lag": 2.0})
    async with org.client() as okta:
        app = await okta.create_bookmark_app("Fresh - Site", launch_url("acc1"))
        clock.t = org.ctx.state.apps[app.id].created.timestamp()  # the org's "just now"

        assert await okta.assign_user(app.id, OWNER) is True
        assert await okta.get_app(app.id) is not None

    assert okta.limiter.stats()["apps"].calls > 2  # 404s, then the assignment
    assert (await org.app_state(app.id))["users"] == [OWNER]


async def test_a_404_right_after_creating_a_group_is_retried_until_it_shows(
    org: Org, clock: VirtualClock
) -> None:
    await org.control.put("/consistency", json={"get_lag": 2.0})
    async with org.client() as okta:
        group = await okta.create_group("Latchkey acc1", "Fresh - Site")
        clock.t = org.ctx.state.groups[group.id].created.timestamp()

        await okta.add_group_member(group.id, OWNER)
        assert await okta.list_group_member_ids(group.id) == {OWNER}

    assert okta.limiter.stats()["groups"].calls > 3  # the create, 404s, the member, the list


async def test_a_delete_refused_right_after_our_deactivate_is_retried(
    org: Org, clock: VirtualClock
) -> None:
    await org.control.put("/consistency", json={"delete_lag": 2.0})
    async with org.client() as okta:
        app = await okta.create_bookmark_app("Leaving - Site", launch_url("acc1"))
        clock.t = datetime.now(UTC).timestamp()  # the org's "just now", as it stamps changes

        await okta.delete_app(app)

    assert app.id not in org.ctx.state.apps
    assert okta.limiter.stats()["app"].calls > 1  # refused (403 E0000056), then deleted


async def test_a_delete_still_refused_after_the_grace_is_an_error(
    org: Org, clock: VirtualClock
) -> None:
    await org.control.put("/consistency", json={"delete_lag": 3600.0})
    async with org.client() as okta:
        app = await okta.create_bookmark_app("Stuck - Site", launch_url("acc1"))
        clock.t = datetime.now(UTC).timestamp()

        with pytest.raises(Forbidden) as refused:
            await okta.delete_app(app)

    assert refused.value.error_code == "E0000056"
    assert org.ctx.state.apps[app.id].status == "INACTIVE"


async def test_a_404_of_an_app_this_client_did_not_just_create_is_believed(org: Org) -> None:
    async with org.client() as okta:
        assert await okta.get_app("0oanothere0000000000") is None

    assert okta.limiter.stats()["app"].calls == 1


async def test_a_timeout_is_retried_on_a_read_and_surfaces_on_a_create(
    clock: VirtualClock,
) -> None:
    attempts: Counter[str] = Counter()

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts[request.method] += 1
        if attempts[request.method] == 1:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(200, json=[])

    limiter = Limiter(LimiterSettings(), clock=clock)
    transport = httpx.MockTransport(flaky)
    async with OktaClient(ORG_URL, SSWS("00t"), transport=transport, limiter=limiter) as okta:
        assert await okta.list_bookmark_apps() == []
        with pytest.raises(OktaTimeout):
            await okta.create_bookmark_app("Slow - Site", launch_url("acc1"))

    assert attempts == {"GET": 2, "POST": 1}


async def test_calls_held_back_go_in_the_order_they_asked(org: Org) -> None:
    recording = org.recording()
    async with org.client(recording) as okta:
        _, users = await _assign_many(okta, org, 119)  # two resets waited for

    assigned = [r.read().decode() for _, r in recording.sent if r.method == "POST"][1:]
    order = [next(i for i, u in enumerate(users) if u in body) for body in assigned]
    assert order == list(range(119))


async def test_a_waiting_call_that_is_cancelled_does_not_hold_up_the_line(
    clock: VirtualClock,
) -> None:
    release = anyio.Event()

    async def slow_first(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/first"):
            await release.wait()
        return httpx.Response(200, json={"id": "0oa1", "label": "x"})

    limiter = Limiter(LimiterSettings(concurrency=1), clock=clock)
    transport = httpx.MockTransport(slow_first)
    async with OktaClient(ORG_URL, SSWS("00t"), transport=transport, limiter=limiter) as okta:
        with anyio.fail_after(5):  # a line that stalls would hang
            await _first_second_third(okta, release)

    assert limiter.stats()["app"].calls == 2  # the first and the third; the second gave up


async def _first_second_third(okta: OktaClient, release: anyio.Event) -> None:
    async with anyio.create_task_group() as group:
        group.start_soon(okta.get_app, "first")
        await anyio.wait_all_tasks_blocked()
        doomed: list[anyio.CancelScope] = []
        group.start_soon(_cancellable, okta, doomed)
        await anyio.wait_all_tasks_blocked()
        group.start_soon(okta.get_app, "third")
        await anyio.wait_all_tasks_blocked()
        doomed[0].cancel()  # the head of the line gives up
        release.set()


async def _cancellable(okta: OktaClient, scopes: list[anyio.CancelScope]) -> None:
    with anyio.CancelScope() as scope:
        scopes.append(scope)
        await okta.get_app("second")


async def test_two_limiters_on_one_token_overshoot_a_little_and_converge(org: Org) -> None:
    # Two workers, one token: each limiter learns the other's calls only from `Remaining`, so
    # near a window's end both may spend the same last calls. Okta refuses the excess (429);
    # each limiter then waits for the reset, and every call lands in the end.
    recording = org.recording()
    async with org.client(recording) as first, org.client(recording) as second:
        app = await first.create_bookmark_app("Shared - Site", launch_url("acc1"))
        users = [org.ctx.state.add_user(f"u{i}@example.com").id for i in range(160)]
        async with anyio.create_task_group() as group:
            for i, user in enumerate(users):
                group.start_soon((first, second)[i % 2].assign_user, app.id, user)

    assert set((await org.app_state(app.id))["users"]) == set(users)
    counted = (await org.calls())["apps"]
    throttled = counted["throttled"]
    assert counted["calls"] - throttled == 161  # every call got through once
    # The overshoot is bounded by what one limiter can have in flight when the other drains
    # the window: a few calls a window, never a storm.
    windows = math.ceil(161 / 50) + 1
    assert throttled <= windows * first.limiter.settings.concurrency
    sent = Counter(math.floor(t / 60) for t, r in recording.sent if r.method == "POST")
    assert max(sent.values()) <= 50 + first.limiter.settings.concurrency


async def test_a_create_announces_each_attempt_as_it_leaves_after_the_limiters_wait(
    org: Org, clock: VirtualClock
) -> None:
    storm = {"path": "/api/v1/apps", "method": "POST", "status": 429, "remaining": 1}
    await org.control.post("/faults", json=storm)
    sent: list[float] = []

    async def sending() -> None:
        sent.append(clock.now())

    async with org.client() as okta:
        started = clock.now()
        app = await okta.create_bookmark_app("Marked - Site", launch_url("acc1"), sending=sending)

    assert len(sent) == 2  # the refused attempt, then the one that made the app
    assert sent[0] == started
    assert sent[1] > started  # stamped after waiting out the reset, not before
    assert (await org.app_state(app.id))["label"] == "Marked - Site"
