"""The control plane: directory changes by hand (drift), call counts and reset."""

from __future__ import annotations

import httpx

from sandbox.seed import BROKER_CLIENT, SEED_USERS, seed_user
from sandbox.serve import RunningOrg
from tests.sandbox.org.management.okta_bodies import MakeApp


def test_users_and_groups_made_by_hand_are_seen_by_the_api(
    api: httpx.Client, control: httpx.Client
) -> None:
    user = control.post(
        "/users", json={"login": "new@example.com", "password": "pw", "firstName": "New"}
    ).json()
    group = control.post("/groups", json={"name": "Ops", "members": ["new@example.com"]}).json()

    assert api.get("/api/v1/users/new@example.com").json()["id"] == user["id"]
    members = api.get(f"/api/v1/groups/{group['id']}/users").json()
    assert [m["id"] for m in members] == [user["id"]]


def test_an_assignment_and_a_rename_by_hand_show_as_drift(
    api: httpx.Client, control: httpx.Client, make_app: MakeApp
) -> None:
    app_id = make_app("Mine - Gmail")["id"]
    outsider = seed_user("outsider")

    assigned = control.put(f"/apps/{app_id}/users/{outsider.login}")
    renamed = control.patch(f"/apps/{app_id}", json={"label": "Renamed by an admin"})

    assert (assigned.status_code, renamed.status_code) == (204, 200)
    assert [u["id"] for u in api.get(f"/api/v1/apps/{app_id}/users").json()] == [outsider.id]
    assert api.get(f"/api/v1/apps/{app_id}").json()["label"] == "Renamed by an admin"


def test_control_calls_do_not_count_and_counts_reset(
    api: httpx.Client, control: httpx.Client
) -> None:
    api.get("/api/v1/apps")
    api.get("/api/v1/groups")
    control.get("/state")

    counted = control.get("/calls").json()
    control.delete("/calls")

    assert counted == {
        "apps": {"calls": 1, "throttled": 0},
        "groups": {"calls": 1, "throttled": 0},
    }
    assert control.get("/calls").json() == {}


def test_reset_empties_the_org_and_puts_the_seed_back(
    org: RunningOrg, control: httpx.Client, make_app: MakeApp
) -> None:
    make_app()
    control.post("/users", json={"login": "temp@example.com"})
    control.post("/faults", json={"path": "/api/v1/*"})

    state = control.post("/reset").json()

    # Only the seed's app is left: the broker's OIDC client, assigned to Everyone.
    assert [a["id"] for a in state["apps"]] == [BROKER_CLIENT.client_id]
    assert sorted(u["login"] for u in state["users"]) == sorted(u.login for u in SEED_USERS)
    assert control.get("/faults").json() == []
    assert org.ctx.state.oidc_clients


def test_the_limits_and_clock_are_readable(control: httpx.Client) -> None:
    limits = control.get("/limits").json()
    clock = control.put("/clock", json={"scale": 30}).json()

    apps = next(b for b in limits["buckets"] if b["name"] == "apps")
    assert (apps["limit"], apps["token_limit"], limits["concurrency"]) == (100, 50, 75)
    assert clock["scale"] == 30
    assert control.put("/clock", json={"scale": 0}).status_code == 400
