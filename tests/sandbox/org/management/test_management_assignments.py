"""Assigning users and groups to apps, and reading users and groups, as sync does."""

from __future__ import annotations

import httpx

from sandbox.seed import SEED_USERS, seed_user
from sandbox.serve import RunningOrg
from tests.sandbox.org.management.okta_bodies import MakeApp


def test_assigning_a_user_answers_200_and_a_second_time_409_e0000062(
    api: httpx.Client, make_app: MakeApp, org: RunningOrg
) -> None:
    app_id = make_app()["id"]
    owner = seed_user("owner")

    first = api.post(f"/api/v1/apps/{app_id}/users", json={"id": owner.id})
    second = api.post(f"/api/v1/apps/{app_id}/users", json={"id": owner.id})

    assert first.status_code == 200
    app_user = first.json()
    assert (app_user["id"], app_user["scope"], app_user["status"]) == (owner.id, "USER", "ACTIVE")
    assert app_user["credentials"] == {"userName": owner.login}
    assert app_user["_links"]["user"]["href"] == f"{org.url}/api/v1/users/{owner.id}"
    assert (second.status_code, second.json()["errorCode"]) == (409, "E0000062")


def test_assigning_an_unknown_user_is_404(api: httpx.Client, make_app: MakeApp) -> None:
    app_id = make_app()["id"]

    response = api.post(f"/api/v1/apps/{app_id}/users", json={"id": "00unobody00000000000"})

    assert (response.status_code, response.json()["errorCode"]) == (404, "E0000007")


def test_unassigning_answers_204_and_the_user_is_gone(api: httpx.Client, make_app: MakeApp) -> None:
    app_id = make_app()["id"]
    user_id = seed_user("member").id
    api.post(f"/api/v1/apps/{app_id}/users", json={"id": user_id})

    deleted = api.delete(f"/api/v1/apps/{app_id}/users/{user_id}")

    assert deleted.status_code == 204
    assert api.get(f"/api/v1/apps/{app_id}/users/{user_id}").status_code == 404
    assert api.delete(f"/api/v1/apps/{app_id}/users/{user_id}").status_code == 404


def test_app_users_are_listed_500_at_a_time_by_following_link_next(
    api: httpx.Client, make_app: MakeApp, control: httpx.Client
) -> None:
    app_id = make_app()["id"]
    extra = [
        control.post("/users", json={"login": f"user{n}@example.com"}).json()["id"]
        for n in range(7)
    ]
    assigned = [*extra, *(u.id for u in SEED_USERS)]
    for user_id in assigned:
        assert api.post(f"/api/v1/apps/{app_id}/users", json={"id": user_id}).status_code == 200

    seen: list[str] = []
    url: str | None = f"/api/v1/apps/{app_id}/users?limit=5"
    while url:
        response = api.get(url)
        seen += [u["id"] for u in response.json()]
        url = response.links.get("next", {}).get("url")
    big_page = api.get(f"/api/v1/apps/{app_id}/users", params={"limit": 500})

    assert sorted(seen) == sorted(assigned)
    assert len(big_page.json()) == len(assigned)
    assert "next" not in big_page.links


def test_group_assignment_shows_its_members_with_scope_group(
    api: httpx.Client, make_app: MakeApp
) -> None:
    app_id = make_app()["id"]
    engineering = "00gengineering000000"

    put = api.put(f"/api/v1/apps/{app_id}/groups/{engineering}", json={})
    users = api.get(f"/api/v1/apps/{app_id}/users").json()
    groups = api.get(f"/api/v1/apps/{app_id}/groups").json()
    one = api.get(f"/api/v1/apps/{app_id}/groups/{engineering}")
    deleted = api.delete(f"/api/v1/apps/{app_id}/groups/{engineering}")

    assert put.status_code == 200
    assert put.json()["id"] == engineering
    assert {u["id"]: u["scope"] for u in users} == {
        seed_user(key).id: "GROUP" for key in ("owner", "collab", "member")
    }
    assert [g["id"] for g in groups] == [engineering]
    assert one.status_code == 200
    assert deleted.status_code == 204
    assert api.get(f"/api/v1/apps/{app_id}/users").json() == []


def test_a_user_is_found_by_id_or_login(api: httpx.Client) -> None:
    owner = seed_user("owner")

    by_id = api.get(f"/api/v1/users/{owner.id}")
    by_login = api.get(f"/api/v1/users/{owner.login}")

    assert by_id.status_code == by_login.status_code == 200
    assert by_id.json() == by_login.json()
    assert by_id.json()["profile"]["login"] == owner.login
    assert api.get("/api/v1/users/nobody@example.com").status_code == 404


def test_users_are_listed_by_filter_search_and_q(api: httpx.Client) -> None:
    owner = seed_user("owner")

    by_filter = api.get("/api/v1/users", params={"filter": f'profile.login eq "{owner.login}"'})
    by_search = api.get("/api/v1/users", params={"search": 'profile.lastName sw "Own"'})
    by_q = api.get("/api/v1/users", params={"q": "olivia"})
    everyone = api.get("/api/v1/users")

    assert [u["id"] for u in by_filter.json()] == [owner.id]
    assert [u["id"] for u in by_search.json()] == [owner.id]
    assert [u["id"] for u in by_q.json()] == [owner.id]
    assert len(everyone.json()) == len(SEED_USERS)


def test_groups_are_created_renamed_searched_and_deleted(api: httpx.Client) -> None:
    created = api.post("/api/v1/groups", json={"profile": {"name": "Latchkey team"}})
    group_id = created.json()["id"]
    duplicate = api.post("/api/v1/groups", json={"profile": {"name": "latchkey TEAM"}})
    renamed = api.put(f"/api/v1/groups/{group_id}", json={"profile": {"name": "Vault team"}})
    found = api.get("/api/v1/groups", params={"q": "Vault"}).json()
    deleted = api.delete(f"/api/v1/groups/{group_id}")

    assert created.status_code == 200
    assert created.json()["type"] == "OKTA_GROUP"
    assert (duplicate.status_code, duplicate.json()["errorCode"]) == (400, "E0000001")
    assert renamed.json()["profile"]["name"] == "Vault team"
    assert [g["id"] for g in found] == [group_id]
    assert deleted.status_code == 204
    assert api.get(f"/api/v1/groups/{group_id}").status_code == 404


def test_group_members_are_added_listed_and_removed(api: httpx.Client) -> None:
    finance = "00gfinance0000000000"
    outsider = seed_user("outsider").id

    added = api.put(f"/api/v1/groups/{finance}/users/{outsider}")
    after_add = {u["id"] for u in api.get(f"/api/v1/groups/{finance}/users").json()}
    removed = api.delete(f"/api/v1/groups/{finance}/users/{outsider}")
    after_remove = {u["id"] for u in api.get(f"/api/v1/groups/{finance}/users").json()}

    assert (added.status_code, removed.status_code) == (204, 204)
    assert outsider in after_add
    assert outsider not in after_remove
