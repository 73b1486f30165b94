"""The org's SCIM client against a small fake SCIM server that records what Okta sends."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.org import scim_client, scim_control
from sandbox.org.context import OrgContext
from sandbox.org.limits import org_clock
from sandbox.org.scim_client import (
    PATCH_OP,
    SCIM_JSON,
    SCIM_JSON_UTF8,
    ScimClient,
    ScimHTTPError,
    ScimRateLimited,
)
from sandbox.org.scim_control import target_of
from sandbox.org.state import OrgState, OrgUser

BASE = "http://127.0.0.1:8400/scim/v2"
TOKEN = "scim-bearer"

pytestmark = pytest.mark.anyio


@dataclass
class Seen:
    method: str
    path: str
    query: str
    content_type: str | None
    authorization: str | None
    body: Any


@dataclass
class FakeScimServer:
    """Just enough of RFC 7644 to answer Okta: users and groups in memory, every request kept."""

    seen: list[Seen] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    throttle: int = 0  # answer this many next requests with 429
    retry_after: str | None = "7"  # the 429's Retry-After (None: no header)
    fail_with: dict[str, Response] = field(default_factory=dict)  # method -> next answer

    def app(self) -> Starlette:
        async def handle(request: Request) -> Response:
            raw = await request.body()
            self.seen.append(
                Seen(
                    request.method,
                    request.url.path.removeprefix("/scim/v2"),
                    request.url.query,
                    request.headers.get("content-type"),
                    request.headers.get("authorization"),
                    json.loads(raw) if raw else None,
                )
            )
            if request.method in self.fail_with:
                return self.fail_with.pop(request.method)
            if self.throttle:
                self.throttle -= 1
                named = {"Retry-After": self.retry_after} if self.retry_after else {}
                return JSONResponse({"detail": "slow down"}, 429, headers=named)
            return self.answer(
                request.method, request.path_params, request, json.loads(raw or b"null")
            )

        return Starlette(
            routes=[
                Route("/scim/v2/{kind}", handle, methods=["GET", "POST"]),
                Route("/scim/v2/{kind}/{id}", handle, methods=["GET", "PUT", "PATCH", "DELETE"]),
            ]
        )

    def answer(self, method: str, params: dict[str, str], request: Request, body: Any) -> Response:
        store = self.users if params["kind"] == "Users" else self.groups
        if method == "GET" and "id" not in params:
            wanted = request.query_params["filter"].split(" eq ")[1].strip('"')
            hits = [u for u in store.values() if u.get("userName") == wanted]
            return JSONResponse(
                {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                    "totalResults": len(hits),
                    "startIndex": 1,
                    "itemsPerPage": len(hits),
                    "Resources": hits,
                }
            )
        if method == "POST":
            resource = dict(body, id=uuid.uuid4().hex)
            resource.pop("password", None)
            store[resource["id"]] = resource
            return JSONResponse(resource, 201)
        if method == "DELETE":
            store.pop(params["id"])
            return Response(status_code=204)
        if method == "PUT":
            store[params["id"]] = body
        return JSONResponse(store[params["id"]])


@dataclass
class Setup:
    server: FakeScimServer
    client: ScimClient
    state: OrgState
    ada: OrgUser
    bob: OrgUser
    slept: list[float]


async def _setup(
    user_updates: scim_client.Updates = "put", group_updates: scim_client.Updates = "patch"
) -> AsyncIterator[Setup]:
    server = FakeScimServer()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    state = OrgState()
    ada = state.add_user("ada@example.com", first_name="Ada", last_name="Lovelace")
    bob = state.add_user("bob@example.com", first_name="Bob", last_name="Byte")
    async with ScimClient(
        BASE,
        TOKEN,
        user_updates=user_updates,
        group_updates=group_updates,
        transport=httpx.ASGITransport(app=server.app()),
        sleep=sleep,
    ) as client:
        yield Setup(server, client, state, ada, bob, slept)


@pytest.fixture
async def put() -> AsyncIterator[Setup]:
    async for setup in _setup("put", "put"):
        yield setup


@pytest.fixture
async def patch() -> AsyncIterator[Setup]:
    async for setup in _setup("patch", "patch"):
        yield setup


def calls(server: FakeScimServer) -> list[tuple[str, str]]:
    return [(s.method, s.path) for s in server.seen]


async def test_a_new_user_is_looked_up_then_created_as_okta_does(put: Setup) -> None:
    scim_id = await put.client.push_user(put.ada)
    lookup, create = put.server.seen
    assert (lookup.method, lookup.path) == ("GET", "/Users")
    assert lookup.query == "filter=userName%20eq%20%22ada%40example.com%22&startIndex=1&count=100"
    assert lookup.body is None
    assert (create.method, create.path) == ("POST", "/Users")
    assert create.content_type == SCIM_JSON_UTF8
    assert create.authorization == f"Bearer {TOKEN}"
    body = dict(create.body)
    assert len(body.pop("password")) == 8
    assert body == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "ada@example.com",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"primary": True, "value": "ada@example.com", "type": "work"}],
        "displayName": "Ada Lovelace",
        "locale": "en-US",
        "externalId": put.ada.id,
        "groups": [],
        "active": True,
    }
    assert put.client.links.users == {put.ada.id: scim_id}
    assert put.server.users[scim_id]["externalId"] == put.ada.id


async def test_an_existing_user_is_linked_and_updated_by_a_full_put(put: Setup) -> None:
    put.server.users["srv-1"] = {"id": "srv-1", "userName": "ada@example.com"}
    put.ada.last_name = "King"
    assert await put.client.push_user(put.ada) == "srv-1"
    assert calls(put.server) == [("GET", "/Users"), ("PUT", "/Users/srv-1")]
    body = put.server.seen[1].body
    assert body["id"] == "srv-1"
    assert body["name"] == {"givenName": "Ada", "familyName": "King"}
    assert body["active"] is True
    assert "password" not in body
    # Known now: the next push goes straight to PUT.
    await put.client.push_user(put.ada)
    assert calls(put.server)[-1] == ("PUT", "/Users/srv-1")
    assert len(put.server.seen) == 3


async def test_deactivation_by_put_sends_the_whole_user_inactive(put: Setup) -> None:
    scim_id = await put.client.push_user(put.ada)
    await put.client.deactivate_user(put.ada)
    last = put.server.seen[-1]
    assert (last.method, last.path) == ("PUT", f"/Users/{scim_id}")
    assert last.body["active"] is False
    assert last.body["userName"] == "ada@example.com"
    assert "DELETE" not in {s.method for s in put.server.seen}


async def test_deactivation_by_patch_replaces_active_without_a_path(patch: Setup) -> None:
    scim_id = await patch.client.push_user(patch.ada)
    await patch.client.deactivate_user(patch.ada)
    last = patch.server.seen[-1]
    assert (last.method, last.path) == ("PATCH", f"/Users/{scim_id}")
    assert last.content_type == SCIM_JSON_UTF8
    assert last.body == {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }


async def test_deactivating_a_user_never_pushed_only_looks_them_up(patch: Setup) -> None:
    assert await patch.client.deactivate_user(patch.ada) is None
    assert calls(patch.server) == [("GET", "/Users")]


async def test_a_429_is_retried_after_retry_after(put: Setup) -> None:
    put.server.throttle = 2
    await put.client.push_user(put.ada)
    assert calls(put.server) == [("GET", "/Users")] * 3 + [("POST", "/Users")]
    assert put.slept == [7.0, 7.0]


async def test_a_429_without_retry_after_waits_five_minutes_doubling(put: Setup) -> None:
    put.server.throttle = 3
    put.server.retry_after = None
    await put.client.push_user(put.ada)
    assert put.slept == [300.0, 600.0, 1200.0]


async def test_a_429_that_never_ends_raises_rate_limited(put: Setup) -> None:
    put.server.throttle = 100
    with pytest.raises(ScimRateLimited) as caught:
        await put.client.push_user(put.ada)
    assert caught.value.status == 429
    assert len(put.server.seen) == 10  # Okta's provisioning tries 10 times in all


async def test_group_push_creates_then_patches_members_by_their_scim_ids(patch: Setup) -> None:
    group = patch.state.add_group("Sales")
    group_id = await patch.client.push_group(group, [patch.ada, patch.bob])
    ada_id, bob_id = patch.client.links.users[patch.ada.id], patch.client.links.users[patch.bob.id]
    groups = [s for s in patch.server.seen if s.path.startswith("/Groups")]
    create, add = groups
    assert (create.method, create.path) == ("POST", "/Groups")
    assert create.body == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Sales",
        "members": [],
    }
    assert (add.method, add.path) == ("PATCH", f"/Groups/{group_id}")
    assert add.content_type == SCIM_JSON_UTF8
    members = sorted(
        [
            {"value": ada_id, "display": "ada@example.com"},
            {"value": bob_id, "display": "bob@example.com"},
        ],
        key=lambda m: {ada_id: patch.ada.id, bob_id: patch.bob.id}[m["value"]],
    )
    assert add.body == {
        "schemas": [PATCH_OP],
        "Operations": [
            # Okta's Group Push names the group again with every membership update.
            {"op": "replace", "value": {"id": group_id, "displayName": "Sales"}},
            {"op": "add", "path": "members", "value": members},
        ],
    }

    carol = patch.state.add_user("carol@example.com")
    group.name = "Sales EMEA"
    await patch.client.push_group(group, [patch.bob, carol])
    update = patch.server.seen[-1]
    carol_id = patch.client.links.users[carol.id]
    assert (update.method, update.path) == ("PATCH", f"/Groups/{group_id}")
    assert update.body["Operations"] == [
        {"op": "replace", "value": {"id": group_id, "displayName": "Sales EMEA"}},
        {"op": "remove", "path": f'members[value eq "{ada_id}"]'},
        {
            "op": "add",
            "path": "members",
            "value": [{"value": carol_id, "display": "carol@example.com"}],
        },
    ]

    seen_before = len(patch.server.seen)
    await patch.client.push_group(group, [patch.bob, carol])
    assert len(patch.server.seen) == seen_before  # nothing changed, nothing sent


async def test_group_push_by_put_sends_the_whole_group(put: Setup) -> None:
    group = put.state.add_group("Ops")
    group_id = await put.client.push_group(group, [put.ada])
    last = put.server.seen[-1]
    assert (last.method, last.path) == ("PUT", f"/Groups/{group_id}")
    assert last.body == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": group_id,
        "displayName": "Ops",
        "members": [{"value": put.client.links.users[put.ada.id], "display": "ada@example.com"}],
    }


async def test_deleting_a_pushed_group(patch: Setup) -> None:
    group = patch.state.add_group("Temp")
    group_id = await patch.client.push_group(group, [])
    await patch.client.delete_group(group)
    assert calls(patch.server)[-1] == ("DELETE", f"/Groups/{group_id}")
    assert group_id not in patch.server.groups


async def test_an_unexpected_status_raises_with_the_scim_error(put: Setup) -> None:
    error = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "409",
        "scimType": "uniqueness",
        "detail": "userName is taken",
    }
    put.server.fail_with["POST"] = JSONResponse(error, 409, media_type=SCIM_JSON)
    with pytest.raises(ScimHTTPError) as caught:
        await put.client.push_user(put.ada)
    assert calls(put.server) == [("GET", "/Users"), ("POST", "/Users")]
    assert (caught.value.status, caught.value.scim_type) == (409, "uniqueness")
    assert caught.value.detail == "userName is taken"
    assert put.client.links.users == {}


async def test_the_control_plane_configures_the_target_and_pushes(put: Setup) -> None:
    ctx = OrgContext(base_url="http://127.0.0.1:8410", api_token="t", state=put.state)
    server = FakeScimServer()
    org = Starlette(routes=scim_control.control_routes(ctx))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=org), base_url=ctx.base_url
    ) as http:
        unconfigured = await http.post(f"/_sandbox/scim/users/{put.ada.id}/push")
        assert unconfigured.status_code == 409

        response = await http.put(
            "/_sandbox/scim/target", json={"url": BASE, "token": TOKEN, "userUpdates": "patch"}
        )
        assert response.json() == {
            "url": BASE,
            "configured": True,
            "userUpdates": "patch",
            "groupUpdates": "patch",
        }
        scim_control.target_of(ctx).transport = httpx.ASGITransport(app=server.app())

        pushed = (await http.post("/_sandbox/scim/users/ada@example.com/push")).json()
        assert pushed["userId"] == put.ada.id
        deactivated = await http.post(f"/_sandbox/scim/users/{put.ada.id}/deactivate")
        assert deactivated.json()["status"] == "DEPROVISIONED"
        assert put.ada.status == "DEPROVISIONED"
        assert server.seen[-1].body["Operations"] == [{"op": "replace", "value": {"active": False}}]

        group = put.state.add_group("Sales")
        group.member_ids.add(put.bob.id)
        pushed_group = (await http.post("/_sandbox/scim/groups/Sales/push")).json()
        assert pushed_group["members"] == [put.bob.id]
        assert (await http.get("/_sandbox/scim/links")).json()["groups"] == {
            group.id: pushed_group["scimId"]
        }
        assert (await http.delete(f"/_sandbox/scim/groups/{group.id}")).json()["deleted"] is True
        assert calls(server)[-1] == ("DELETE", f"/Groups/{pushed_group['scimId']}")


async def test_the_orgs_scim_waits_pass_on_its_scaled_clock() -> None:
    ctx = OrgContext(base_url="http://org.test", api_token="t")
    org_clock(ctx).set_scale(3000)
    started = time.monotonic()

    await target_of(ctx).sleep(300.0)  # Okta's five minutes

    assert time.monotonic() - started < 1.0
