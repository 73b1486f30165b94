"""What the sandbox refuses because Okta refuses it, driven by Okta's own Python SDK where it can.

Each test names the Okta behaviour it pins; the sandbox module that imitates it cites the source.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from okta.client import Client
from okta.models import AppUserAssignRequest

from sandbox.seed import seed_user
from sandbox.serve import RunningOrg
from tests.sandbox.org.management.okta_bodies import TOKEN, MakeApp


@pytest.fixture
def sdk_config(org: RunningOrg, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")
    return {"orgUrl": org.url, "token": TOKEN, "authorizationMode": "SSWS"}


def test_a_user_a_group_also_grants_cannot_be_unassigned_directly(
    sdk_config: dict[str, Any], org: RunningOrg, make_app: MakeApp
) -> None:
    owner = seed_user("owner").id
    app = make_app()
    group = org.ctx.state.add_group("Mailbox readers")
    group.member_ids.add(owner)

    async def scenario() -> tuple[Any, Any, Any]:
        async with Client(sdk_config) as client:
            _, _, error = await client.assign_user_to_application(
                app["id"], AppUserAssignRequest(id=owner)
            )
            assert error is None
            _, _, error = await client.assign_group_to_application(app["id"], group.id)
            assert error is None
            # The SDK answers (response, error) for some calls and (result, response, error)
            # for others: the error is always last.
            *_, refused = await client.unassign_user_from_application(app["id"], owner)
            *_, error = await client.unassign_application_from_group(app["id"], group.id)
            assert error is None
            *_, removed = await client.unassign_user_from_application(app["id"], owner)
            users, _, _ = await client.list_application_users(app["id"])
            return refused, removed, users

    refused, removed, users = asyncio.run(scenario())

    assert "E0000046" in str(refused)
    assert removed is None
    assert users == []


def test_a_group_grant_alone_is_refused_too(
    api: httpx.Client, org: RunningOrg, make_app: MakeApp
) -> None:
    owner = seed_user("owner").id
    app = make_app()
    group = org.ctx.state.add_group("Mailbox readers")
    group.member_ids.add(owner)
    api.put(f"/api/v1/apps/{app['id']}/groups/{group.id}", json={})

    response = api.delete(f"/api/v1/apps/{app['id']}/users/{owner}")

    assert (response.status_code, response.json()["errorCode"]) == (403, "E0000046")


def test_each_link_relation_comes_in_a_header_of_its_own(
    api: httpx.Client, make_app: MakeApp
) -> None:
    for n in range(3):
        make_app(f"App {n}")

    response = api.get("/api/v1/apps", params={"limit": 2})

    links = response.headers.get_list("link")
    assert len(links) == 2
    assert links[0].endswith('rel="self"')
    assert links[1].endswith('rel="next"')


def test_a_new_group_may_answer_404_for_a_moment(api: httpx.Client, control: httpx.Client) -> None:
    control.put("/consistency", json={"get_lag": 0.3})
    group_id = api.post("/api/v1/groups", json={"profile": {"name": "Fresh"}}).json()["id"]

    early = api.get(f"/api/v1/groups/{group_id}").status_code
    early_member = api.put(f"/api/v1/groups/{group_id}/users/{seed_user('owner').id}")
    time.sleep(0.4)

    assert (early, early_member.status_code) == (404, 404)
    assert api.get(f"/api/v1/groups/{group_id}").status_code == 200


def test_a_delete_right_after_the_deactivate_may_still_be_refused(
    api: httpx.Client, control: httpx.Client, make_app: MakeApp, org: RunningOrg
) -> None:
    control.put("/consistency", json={"delete_lag": 0.3})
    app = make_app()
    api.post(f"/api/v1/apps/{app['id']}/lifecycle/deactivate")

    early = api.delete(f"/api/v1/apps/{app['id']}")
    time.sleep(0.4)
    late = api.delete(f"/api/v1/apps/{app['id']}")

    assert (early.status_code, early.json()["errorCode"]) == (403, "E0000056")
    assert late.status_code == 204
    assert app["id"] not in org.ctx.state.apps
