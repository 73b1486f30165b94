"""What Okta's own SCIM test checks of a server: the name parts kept, UTC `meta` times that move,
`attributes` / `excludedAttributes`, /Schemas listing only what is kept, Group `externalId` and
members as RFC 7643 §4.2 gives them."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import httpx
import pytest

from sandbox.org.scim_client import ScimClient, patch_body, user_body
from tests.broker.scim.harness import Broker, org_group, org_user

pytestmark = pytest.mark.anyio

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
JSON = {"Content-Type": "application/scim+json; charset=utf-8"}


async def _created(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.post("Users", json=user_body(org_user("Ada", "Lovelace"), active=True))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_post_keeps_and_returns_the_given_and_family_name(broker: Broker) -> None:
    async with broker.raw() as http:
        created = await _created(http)
        read = (await http.get(f"Users/{created['id']}")).json()

    for body in (created, read):
        assert body["name"]["givenName"] == "Ada"
        assert body["name"]["familyName"] == "Lovelace"
        assert body["locale"] == "en-US"


KING = {"givenName": "Ada", "familyName": "King"}


@pytest.mark.parametrize(
    ("method", "patch"),
    [
        pytest.param("PUT", None, id="put"),
        pytest.param(
            "PATCH",
            patch_body({"op": "replace", "path": "name.familyName", "value": "King"}),
            id="patch with a path",
        ),
        pytest.param(
            "PATCH",
            patch_body({"op": "replace", "value": {"name": KING}}),
            id="patch without a path",
        ),
    ],
)
async def test_a_changed_family_name_is_kept(
    broker: Broker, method: str, patch: dict[str, Any] | None
) -> None:
    async with broker.raw() as http:
        created = await _created(http)
        user = {k: v for k, v in created.items() if k != "meta"}
        body = patch or {**user, "name": KING, "displayName": "Ada King"}
        answer = await http.request(method, f"Users/{created['id']}", json=body)
        read = (await http.get(f"Users/{created['id']}")).json()

    assert answer.status_code == 200, answer.text
    assert read["name"]["familyName"] == "King"
    assert read["name"]["givenName"] == "Ada"
    assert read["displayName"] == "Ada King"


async def test_meta_times_are_utc_with_z_and_last_modified_moves_on_each_change(
    broker: Broker,
) -> None:
    async with broker.raw() as http:
        created = await _created(http)
        time.sleep(0.01)
        changed = await http.patch(
            f"Users/{created['id']}",
            json=patch_body({"op": "replace", "value": {"active": False}}),
        )
        group = await http.post(
            "Groups", json={"schemas": [GROUP_URN], "displayName": "Payroll", "members": []}
        )
        time.sleep(0.01)
        joined = await http.patch(
            f"Groups/{group.json()['id']}",
            json=patch_body({"op": "add", "path": "members", "value": [{"value": created["id"]}]}),
        )

    for body in (created, changed.json(), group.json(), joined.json()):
        assert body["meta"]["created"].endswith("Z")
        assert body["meta"]["lastModified"].endswith("Z")
    assert created["meta"]["lastModified"] == created["meta"]["created"]
    assert modified(changed.json()) > modified(created)
    assert modified(joined.json()) > modified(group.json())


def modified(body: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(body["meta"]["lastModified"])


async def test_attributes_and_excluded_attributes_shape_users_and_groups(
    broker: Broker, okta: ScimClient
) -> None:
    user = org_user()
    group = org_group("Engineering")
    await okta.push_user(user)
    await okta.push_group(group, [user])
    async with broker.raw() as http:
        only = (await http.get("Users", params={"attributes": "userName,name.familyName"})).json()
        without = (await http.get("Users", params={"excludedAttributes": "name,emails"})).json()
        groups = (await http.get("Groups", params={"excludedAttributes": "members"})).json()
        named = (await http.get("Groups", params={"attributes": "displayName"})).json()

    assert set(only["Resources"][0]) == {"schemas", "id", "userName", "name"}
    assert only["Resources"][0]["name"] == {"familyName": "Lovelace"}
    assert {"name", "emails"}.isdisjoint(without["Resources"][0])
    assert "userName" in without["Resources"][0]
    assert "members" not in groups["Resources"][0]
    assert set(named["Resources"][0]) == {"schemas", "id", "displayName"}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "Users", {**user_body(org_user(), active=True), "title": "Engineer"}),
        ("POST", "Users", {**user_body(org_user(), active=True), "name": {"middleName": "B"}}),
        ("PATCH", "Users/{id}", patch_body({"op": "replace", "path": "nickName", "value": "x"})),
        ("PATCH", "Users/{id}", patch_body({"op": "replace", "value": {"timezone": "UTC"}})),
    ],
)
async def test_an_attribute_the_server_does_not_keep_is_refused(
    broker: Broker, method: str, path: str, body: dict[str, Any]
) -> None:
    async with broker.raw() as http:
        created = await _created(http)
        before = broker.snapshot()
        response = await http.request(method, path.format(id=created["id"]), json=body)

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert broker.snapshot() == before


async def test_the_schemas_list_only_what_the_server_keeps(broker: Broker) -> None:
    async with broker.raw() as http:
        user = (await http.get(f"Schemas/{USER_URN}")).json()
        group = (await http.get(f"Schemas/{GROUP_URN}")).json()

    attributes = {a["name"]: a for a in user["attributes"]}
    assert set(attributes) == {
        *("userName", "name", "displayName", "locale", "active", "password", "emails"),
    }
    assert {s["name"] for s in attributes["name"]["subAttributes"]} == {
        "formatted",
        "givenName",
        "familyName",
    }
    assert attributes["password"]["mutability"] == "writeOnly"
    members = next(a for a in group["attributes"] if a["name"] == "members")
    assert {s["name"] for s in members["subAttributes"]} == {"value", "display", "$ref", "type"}


async def test_a_group_external_id_is_updatable_and_members_carry_their_ref(
    broker: Broker, okta: ScimClient
) -> None:
    user = org_user("Grace", "Hopper")
    scim_user = await okta.push_user(user)
    async with broker.raw() as http:
        created = await http.post(
            "Groups",
            json={"schemas": [GROUP_URN], "displayName": "Ops", "members": [{"value": scim_user}]},
            headers=JSON,
        )
        group_id = created.json()["id"]
        put = await http.put(
            f"Groups/{group_id}",
            json={
                "schemas": [GROUP_URN],
                "displayName": "Ops",
                "externalId": "00gOpsInOkta",
                "members": [{"value": scim_user}],
            },
        )
        patched = await http.patch(
            f"Groups/{group_id}",
            json=patch_body({"op": "replace", "path": "externalId", "value": "00gOpsRenamed"}),
        )

    assert put.json()["externalId"] == "00gOpsInOkta"
    assert patched.json()["externalId"] == "00gOpsRenamed"
    member = patched.json()["members"][0]
    assert member["value"] == scim_user
    assert member["display"] == "Grace Hopper"
    assert member["type"] == "User"
    assert member["$ref"].endswith(f"/scim/v2/Users/{scim_user}")
