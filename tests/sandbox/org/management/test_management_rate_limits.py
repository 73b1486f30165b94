"""Okta's rate limits, counted: buckets, the per-token share, concurrency and the time scale."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime

import httpx

from sandbox.serve import RunningOrg
from tests.sandbox.org.management.okta_bodies import TOKEN, MakeApp, fresh_window


def _date(response: httpx.Response) -> float:
    return parsedate_to_datetime(response.headers["Date"]).timestamp()


def test_every_answer_carries_the_rate_limit_headers_and_date(
    api: httpx.Client, make_app: MakeApp
) -> None:
    app_id = make_app()["id"]

    for response in (
        api.get("/api/v1/apps"),
        api.get(f"/api/v1/apps/{app_id}"),
        api.get("/api/v1/apps/0oanothere0000000000"),
        api.get("/api/v1/groups"),
    ):
        reset = int(response.headers["X-Rate-Limit-Reset"])
        assert int(response.headers["X-Rate-Limit-Limit"]) > 0
        assert int(response.headers["X-Rate-Limit-Remaining"]) >= 0
        assert 0 < reset - _date(response) <= 60
        assert response.headers["X-Okta-Request-Id"]


def test_the_apps_bucket_gives_one_token_half_of_100_per_minute(
    org: RunningOrg, api: httpx.Client, control: httpx.Client
) -> None:
    fresh_window(org)
    answers = [api.get("/api/v1/apps") for _ in range(51)]

    limits = {r.headers["X-Rate-Limit-Limit"] for r in answers}
    remaining = [int(r.headers["X-Rate-Limit-Remaining"]) for r in answers[:50]]
    throttled = answers[50]
    assert limits == {"50"}
    assert remaining == list(range(49, -1, -1))
    assert throttled.status_code == 429
    assert throttled.json()["errorCode"] == "E0000047"
    assert throttled.headers["X-Rate-Limit-Remaining"] == "0"
    assert control.get("/calls").json()["apps"] == {"calls": 51, "throttled": 1}


def test_exactly_apps_id_counts_in_its_own_bucket(api: httpx.Client, make_app: MakeApp) -> None:
    app_id = make_app()["id"]

    one = api.get(f"/api/v1/apps/{app_id}")
    users = api.get(f"/api/v1/apps/{app_id}/users")

    assert one.headers["X-Rate-Limit-Limit"] == "250"
    assert users.headers["X-Rate-Limit-Limit"] == "50"


def test_a_second_token_gets_its_own_share_until_the_org_bucket_is_spent(
    org: RunningOrg, api: httpx.Client, control: httpx.Client
) -> None:
    control.put("/limits", json={"limits": {"apps": 10}})
    second = control.post("/tokens").json()["token"]
    third = control.post("/tokens").json()["token"]
    fresh_window(org)

    def calls(token: str, n: int) -> list[int]:
        headers = {"Authorization": f"SSWS {token}"}
        return [httpx.get(f"{org.url}/api/v1/apps", headers=headers).status_code for _ in range(n)]

    assert calls(TOKEN, 6) == [200] * 5 + [429]
    assert calls(second, 6) == [200] * 5 + [429]
    assert calls(third, 1) == [429]  # the org's 10 are spent, whatever this token's share


def test_the_limit_resets_at_x_rate_limit_reset(api: httpx.Client, control: httpx.Client) -> None:
    control.put("/limits", json={"limits": {"apps": 4}, "window_seconds": 1})
    for _ in range(2):
        api.get("/api/v1/apps")
    throttled = api.get("/api/v1/apps")
    assert throttled.status_code == 429

    wait = int(throttled.headers["X-Rate-Limit-Reset"]) - _date(throttled)
    time.sleep(max(wait, 0) + 0.05)

    assert api.get("/api/v1/apps").status_code == 200


def test_a_time_scale_of_60_passes_an_okta_minute_in_a_second(
    org: RunningOrg, api: httpx.Client, control: httpx.Client
) -> None:
    control.put("/clock", json={"scale": 60})
    control.put("/limits", json={"limits": {"apps": 2}})  # one call per token per minute
    fresh_window(org, need=30)
    first = api.get("/api/v1/apps")
    throttled = api.get("/api/v1/apps")
    okta_seconds_to_wait = int(throttled.headers["X-Rate-Limit-Reset"]) - _date(throttled)

    time.sleep((okta_seconds_to_wait + 1) / 60)
    after = api.get("/api/v1/apps")

    assert (first.status_code, throttled.status_code, after.status_code) == (200, 429, 200)
    assert 0 < okta_seconds_to_wait <= 60
    assert _date(after) - _date(first) >= okta_seconds_to_wait  # the Date header runs 60x


def test_more_than_the_concurrency_limit_in_flight_gets_429_with_limit_0(
    org: RunningOrg, control: httpx.Client
) -> None:
    control.put("/limits", json={"concurrency": 2})
    control.post("/faults", json={"path": "/api/v1/users", "status": None, "latency": 0.5})
    headers = {"Authorization": f"SSWS {TOKEN}"}

    def call(_: int) -> httpx.Response:
        return httpx.get(f"{org.url}/api/v1/users", headers=headers)

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(call, range(6)))

    refused = [r for r in answers if r.status_code == 429]
    assert 1 <= len(refused) <= 4
    assert sum(r.status_code == 200 for r in answers) >= 2
    limit_and_remaining = {
        (r.headers["X-Rate-Limit-Limit"], r.headers["X-Rate-Limit-Remaining"]) for r in refused
    }
    assert limit_and_remaining == {("0", "0")}


def test_limits_can_be_turned_off(api: httpx.Client, control: httpx.Client) -> None:
    control.put("/limits", json={"enabled": False, "limits": {"apps": 2}})

    assert {api.get("/api/v1/apps").status_code for _ in range(5)} == {200}
