"""Injected faults and eventual consistency, set through the control plane."""

from __future__ import annotations

import time

import httpx

from sandbox.seed import seed_user
from tests.sandbox.org.management.okta_bodies import MakeApp, bookmark


def test_a_500_on_group_assignment_hits_only_that_endpoint(
    api: httpx.Client, control: httpx.Client, make_app: MakeApp
) -> None:
    app_id = make_app()["id"]
    control.post("/faults", json={"path": "/api/v1/apps/*/groups/*", "method": "PUT"})

    failed = api.put(f"/api/v1/apps/{app_id}/groups/00gengineering000000", json={})
    other = api.post(f"/api/v1/apps/{app_id}/users", json={"id": seed_user("owner").id})

    assert (failed.status_code, failed.json()["errorCode"]) == (500, "E0000009")
    assert other.status_code == 200


def test_a_429_burst_stops_after_its_count_and_faults_can_be_cleared(
    api: httpx.Client, control: httpx.Client
) -> None:
    control.post("/faults", json={"path": "/api/v1/apps", "status": 429, "remaining": 2})
    burst = [api.get("/api/v1/apps") for _ in range(3)]
    control.post("/faults", json={"path": "/api/v1/*", "status": 503})
    control.delete("/faults")

    assert [r.status_code for r in burst] == [429, 429, 200]
    assert burst[0].json()["errorCode"] == "E0000047"
    assert "X-Rate-Limit-Reset" in burst[0].headers
    assert api.get("/api/v1/apps").status_code == 200


def test_an_error_rate_fails_about_that_share_of_calls(
    api: httpx.Client, control: httpx.Client
) -> None:
    control.put("/limits", json={"enabled": False})
    control.post("/faults", json={"path": "/api/v1/groups", "rate": 0.5})

    statuses = [api.get("/api/v1/groups").status_code for _ in range(60)]

    assert 10 <= statuses.count(500) <= 50
    assert statuses.count(500) + statuses.count(200) == 60


def test_latency_delays_the_answer(api: httpx.Client, control: httpx.Client) -> None:
    control.post("/faults", json={"path": "/api/v1/users/*", "status": None, "latency": 0.3})

    started = time.monotonic()
    response = api.get(f"/api/v1/users/{seed_user('owner').id}")

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_new_apps_lag_behind_in_lists_and_may_404_just_after_the_create(
    api: httpx.Client, control: httpx.Client
) -> None:
    control.put("/consistency", json={"list_lag": 0.5, "get_lag": 0.3})
    app_id = api.post("/api/v1/apps", json=bookmark("Fresh")).json()["id"]

    early_get = api.get(f"/api/v1/apps/{app_id}").status_code
    bookmarks = {"filter": 'name eq "bookmark"'}
    early_list = [a["id"] for a in api.get("/api/v1/apps", params=bookmarks).json()]
    time.sleep(0.6)

    assert early_get == 404
    assert early_list == []
    assert api.get(f"/api/v1/apps/{app_id}").status_code == 200
    assert [a["id"] for a in api.get("/api/v1/apps", params=bookmarks).json()] == [app_id]
