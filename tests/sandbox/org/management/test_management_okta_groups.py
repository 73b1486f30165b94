"""What sync's Okta-group strategy calls, as Okta answers it: a group's members page by page, a
group assigned to and unassigned from an app, their refusals and their rate-limit buckets."""

from __future__ import annotations

import httpx

from sandbox.serve import RunningOrg
from tests.sandbox.org.management.okta_bodies import MakeApp, fresh_window

ENGINEERING = "00gengineering000000"  # seeded with three members


def test_group_members_are_paged_by_following_link_next(
    api: httpx.Client, control: httpx.Client
) -> None:
    added = [
        control.post("/users", json={"login": f"member{n}@example.com"}).json()["id"]
        for n in range(5)
    ]
    for user_id in added:
        assert api.put(f"/api/v1/groups/{ENGINEERING}/users/{user_id}").status_code == 204

    seen: list[str] = []
    pages = 0
    url: str | None = f"/api/v1/groups/{ENGINEERING}/users?limit=3"
    while url:
        response = api.get(url)
        assert response.status_code == 200
        seen += [user["id"] for user in response.json()]
        pages += 1
        url = response.links.get("next", {}).get("url")
    default = api.get(f"/api/v1/groups/{ENGINEERING}/users")

    assert len(seen) == len(set(seen)) == 8
    assert set(added) <= set(seen)
    assert pages == 3  # 3 + 3 + 2: a short last page has no `next`
    assert len(default.json()) == 8  # Okta's default page is 1000 members
    assert "next" not in default.links
    assert {"id", "status", "profile"} <= set(default.json()[0])


def test_a_group_of_no_one_or_an_unknown_group(api: httpx.Client) -> None:
    unknown = api.get("/api/v1/groups/00gnothere0000000000/users")

    assert (unknown.status_code, unknown.json()["errorCode"]) == (404, "E0000007")


def test_assigning_a_group_to_an_app_and_its_refusals(api: httpx.Client, make_app: MakeApp) -> None:
    app_id = make_app()["id"]

    first = api.put(f"/api/v1/apps/{app_id}/groups/{ENGINEERING}", json={})
    again = api.put(f"/api/v1/apps/{app_id}/groups/{ENGINEERING}")
    unknown_group = api.put(f"/api/v1/apps/{app_id}/groups/00gnothere0000000000", json={})
    unknown_app = api.put(f"/api/v1/apps/0oanothere0000000000/groups/{ENGINEERING}", json={})
    removed = api.delete(f"/api/v1/apps/{app_id}/groups/{ENGINEERING}")
    removed_again = api.delete(f"/api/v1/apps/{app_id}/groups/{ENGINEERING}")

    assert first.status_code == again.status_code == 200  # idempotent, no body needed
    body = first.json()
    assert (body["id"], body["priority"]) == (ENGINEERING, 0)
    assert body["_links"]["group"]["href"].endswith(f"/api/v1/groups/{ENGINEERING}")
    assert (unknown_group.status_code, unknown_group.json()["errorCode"]) == (404, "E0000007")
    assert (unknown_app.status_code, unknown_app.json()["errorCode"]) == (404, "E0000007")
    assert removed.status_code == 204
    assert (removed_again.status_code, removed_again.json()["errorCode"]) == (404, "E0000007")


def test_group_assignments_count_in_apps_and_member_listings_in_groups(
    org: RunningOrg, api: httpx.Client, make_app: MakeApp
) -> None:
    app_id = make_app()["id"]

    assign = api.put(f"/api/v1/apps/{app_id}/groups/{ENGINEERING}", json={})
    unassign = api.delete(f"/api/v1/apps/{app_id}/groups/{ENGINEERING}")
    members = api.get(f"/api/v1/groups/{ENGINEERING}/users")
    one = api.get(f"/api/v1/groups/{ENGINEERING}")

    # Okta's Workforce limits: apps 100, groups 500, group by id 1000 a minute; a token 50 %.
    assert assign.headers["X-Rate-Limit-Limit"] == unassign.headers["X-Rate-Limit-Limit"] == "50"
    assert members.headers["X-Rate-Limit-Limit"] == "250"
    assert one.headers["X-Rate-Limit-Limit"] == "500"


def test_the_groups_bucket_refuses_the_251st_member_listing_of_a_minute(
    org: RunningOrg, api: httpx.Client, control: httpx.Client
) -> None:
    fresh_window(org)
    answers = [api.get(f"/api/v1/groups/{ENGINEERING}/users") for _ in range(251)]

    assert {a.status_code for a in answers[:250]} == {200}
    assert answers[250].status_code == 429
    assert answers[250].json()["errorCode"] == "E0000047"
    assert control.get("/calls").json()["groups"] == {"calls": 251, "throttled": 1}
