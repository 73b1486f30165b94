"""What the server says it supports (RFC 7644 §4), and paging through users (§3.4.2.4)."""

from __future__ import annotations

import pytest

from sandbox.org.scim_client import ScimClient, user_body
from tests.broker.scim.harness import Broker, org_user

pytestmark = pytest.mark.anyio


async def test_the_server_describes_patch_filtering_and_bearer_auth(broker: Broker) -> None:
    async with broker.raw() as http:
        config = (await http.get("ServiceProviderConfig")).json()
        types = (await http.get("ResourceTypes")).json()
        schemas = (await http.get("Schemas")).json()
        user_schema = await http.get("Schemas/urn:ietf:params:scim:schemas:core:2.0:User")

    assert config["patch"]["supported"] is True
    assert config["bulk"]["supported"] is False
    assert config["filter"] == {"supported": True, "maxResults": 200}
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert {t["endpoint"] for t in types["Resources"]} == {"/Users", "/Groups"}
    assert schemas["totalResults"] == 2
    assert user_schema.json()["name"] == "User"


async def test_users_page_by_start_index_and_count_with_numeric_counts(
    broker: Broker, okta: ScimClient
) -> None:
    for _ in range(5):
        await okta.push_user(org_user())

    async with broker.raw() as http:
        pages = [
            (await http.get("Users", params={"startIndex": start, "count": 2})).json()
            for start in (1, 3, 5, 7)
        ]
        none = (await http.get("Users", params={"count": 0})).json()

    assert [p["itemsPerPage"] for p in pages] == [2, 2, 1, 0]
    assert all(p["totalResults"] == 5 for p in pages)
    assert [p["startIndex"] for p in pages] == [1, 3, 5, 7]
    assert len({r["id"] for p in pages for r in p["Resources"]}) == 5
    assert (none["totalResults"], none["itemsPerPage"], none["Resources"]) == (5, 0, [])


async def test_an_unknown_user_name_is_an_empty_page_not_an_error(
    broker: Broker, okta: ScimClient
) -> None:
    assert await okta.find_user("nobody@example.com") is None


async def test_a_created_user_is_answered_201_with_its_location(broker: Broker) -> None:
    async with broker.raw() as http:
        response = await http.post(
            "Users",
            json=user_body(org_user(), active=True),
            headers={"Content-Type": "application/json"},  # plain JSON is accepted too
        )

    body = response.json()
    assert response.status_code == 201
    assert response.headers["location"] == body["meta"]["location"]
    assert body["meta"]["location"].endswith(f"/scim/v2/Users/{body['id']}")
    assert "password" not in body
