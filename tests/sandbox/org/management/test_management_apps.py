"""Bookmark apps through the Management API, as sync calls it."""

from __future__ import annotations

import httpx
import pytest

from sandbox.serve import RunningOrg
from tests.sandbox.org.management.okta_bodies import MakeApp, bookmark


def test_creating_a_bookmark_app_answers_200_with_the_whole_app(
    api: httpx.Client, org: RunningOrg
) -> None:
    response = api.post(
        "/api/v1/apps?activate=true", json=bookmark("Team vault - Gmail", "https://b.example/l/1")
    )

    assert response.status_code == 200
    app = response.json()
    assert app["id"].startswith("0oa")
    assert len(app["id"]) == 20
    assert app["status"] == "ACTIVE"
    assert (app["name"], app["signOnMode"]) == ("bookmark", "BOOKMARK")
    assert app["label"] == "Team vault - Gmail"
    assert app["settings"]["app"] == {"url": "https://b.example/l/1", "requestIntegration": False}
    assert app["_links"]["self"]["href"] == f"{org.url}/api/v1/apps/{app['id']}"
    assert app["_links"]["users"]["href"] == f"{org.url}/api/v1/apps/{app['id']}/users"
    assert app["_links"]["appLinks"][0]["href"].startswith(f"{org.url}/home/bookmark/{app['id']}/")
    assert api.get(f"/api/v1/apps/{app['id']}").json() == app


def test_creating_without_activate_leaves_the_app_inactive(api: httpx.Client) -> None:
    response = api.post("/api/v1/apps?activate=false", json=bookmark("Inactive"))

    assert response.json()["status"] == "INACTIVE"


@pytest.mark.parametrize(
    ("label", "cause"),
    [
        ("", "label: The field cannot be left blank"),
        (None, "label: The field cannot be left blank"),
        ("x" * 101, "label: The field cannot exceed 100 characters"),
    ],
)
def test_a_label_outside_1_to_100_characters_is_refused_with_e0000001(
    api: httpx.Client, label: str | None, cause: str
) -> None:
    body = bookmark("placeholder")
    body["label"] = label

    response = api.post("/api/v1/apps", json=body)

    assert response.status_code == 400
    error = response.json()
    assert error["errorCode"] == "E0000001"
    assert error["errorSummary"] == "Api validation failed: label"
    assert error["errorLink"] == "E0000001"
    assert error["errorId"]
    assert error["errorCauses"] == [{"errorSummary": cause}]


def test_a_label_of_exactly_100_characters_is_accepted(api: httpx.Client) -> None:
    assert api.post("/api/v1/apps", json=bookmark("x" * 100)).status_code == 200


def test_a_body_that_is_not_json_is_refused_with_e0000003(api: httpx.Client) -> None:
    response = api.post("/api/v1/apps", content=b"{not json")

    assert (response.status_code, response.json()["errorCode"]) == (400, "E0000003")


def test_replacing_the_app_changes_its_label(api: httpx.Client, make_app: MakeApp) -> None:
    app = make_app("Old name - Gmail")
    body = bookmark("New name - Gmail", app["settings"]["app"]["url"])

    response = api.put(f"/api/v1/apps/{app['id']}", json=body)

    assert response.status_code == 200
    assert response.json()["label"] == "New name - Gmail"
    assert api.get(f"/api/v1/apps/{app['id']}").json()["label"] == "New name - Gmail"


def test_an_unknown_app_is_404_e0000007(api: httpx.Client) -> None:
    response = api.get("/api/v1/apps/0oanothere0000000000")

    assert response.status_code == 404
    assert response.json()["errorCode"] == "E0000007"


def test_an_active_app_cannot_be_deleted_until_deactivated(
    api: httpx.Client, make_app: MakeApp
) -> None:
    app_id = make_app()["id"]

    refused = api.delete(f"/api/v1/apps/{app_id}")
    deactivated = api.post(f"/api/v1/apps/{app_id}/lifecycle/deactivate")
    deleted = api.delete(f"/api/v1/apps/{app_id}")

    assert (refused.status_code, refused.json()["errorCode"]) == (403, "E0000056")
    assert deactivated.status_code == 200
    assert deleted.status_code == 204
    assert api.get(f"/api/v1/apps/{app_id}").status_code == 404


def test_activate_and_deactivate_switch_the_status(api: httpx.Client, make_app: MakeApp) -> None:
    app_id = make_app()["id"]

    api.post(f"/api/v1/apps/{app_id}/lifecycle/deactivate")
    inactive = api.get(f"/api/v1/apps/{app_id}").json()
    api.post(f"/api/v1/apps/{app_id}/lifecycle/activate")
    active = api.get(f"/api/v1/apps/{app_id}").json()

    assert (inactive["status"], "activate" in inactive["_links"]) == ("INACTIVE", True)
    assert (active["status"], "deactivate" in active["_links"]) == ("ACTIVE", True)


def _all_pages(api: httpx.Client, url: str) -> tuple[list[dict[str, object]], int]:
    items: list[dict[str, object]] = []
    pages = 0
    next_url: str | None = url
    while next_url:
        response = api.get(next_url)
        assert response.status_code == 200
        items += response.json()
        pages += 1
        next_url = response.links.get("next", {}).get("url")
    return items, pages


def test_listing_follows_link_next_to_an_empty_last_page(
    api: httpx.Client, make_app: MakeApp
) -> None:
    created = {make_app(f"App {n}")["id"] for n in range(6)}

    items, pages = _all_pages(api, '/api/v1/apps?limit=3&filter=name eq "bookmark"')

    assert {item["id"] for item in items} == created
    assert pages == 3  # 3 + 3 + an empty page: a full page always links to a next one


def test_listing_filters_by_status_and_name_and_searches_by_label_prefix(
    api: httpx.Client, make_app: MakeApp
) -> None:
    active = make_app("Alpha - Gmail")["id"]
    inactive = make_app("Beta - Gmail")["id"]
    api.post(f"/api/v1/apps/{inactive}/lifecycle/deactivate")

    # The seed's OIDC app (the broker's client) is ACTIVE too.
    by_status = api.get("/api/v1/apps", params={"filter": 'status eq "INACTIVE"'}).json()
    by_name = api.get(
        "/api/v1/apps", params={"filter": 'name eq "bookmark" and status eq "INACTIVE"'}
    ).json()
    by_q = api.get("/api/v1/apps", params={"q": "alp"}).json()

    assert [a["id"] for a in by_status] == [inactive]
    assert [a["id"] for a in by_name] == [inactive]
    assert [a["id"] for a in by_q] == [active]


def test_an_unsupported_filter_is_400_e0000031(api: httpx.Client) -> None:
    response = api.get("/api/v1/apps", params={"filter": 'settings.app.url eq "x"'})

    assert (response.status_code, response.json()["errorCode"]) == (400, "E0000031")


def test_a_method_the_endpoint_lacks_is_405_e0000022(api: httpx.Client) -> None:
    response = api.patch("/api/v1/apps")

    assert (response.status_code, response.json()["errorCode"]) == (405, "E0000022")


@pytest.mark.parametrize(
    "authorization", [None, "SSWS wrong-token", "Bearer 00test-api-token-for-the-sandbox", "SSWS"]
)
def test_a_missing_or_bad_token_is_401_e0000011(org: RunningOrg, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = httpx.get(f"{org.url}/api/v1/apps", headers=headers)

    assert response.status_code == 401
    assert response.json()["errorCode"] == "E0000011"
    assert "X-Rate-Limit-Remaining" in response.headers
