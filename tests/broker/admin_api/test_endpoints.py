"""The admin API: the pages' actions as JSON, with the same refusals, and the token never shown."""

from __future__ import annotations

import secrets

import pytest

from broker.models import ItemRole, TokenStatus, Workspace, WorkspaceRole
from tests.broker.admin_api.conftest import API, Api, error_of
from tests.broker.web.conftest import ORG

pytestmark = pytest.mark.anyio


def workspace(api: Api) -> Workspace:
    with api.site.harness.ctx.sessions() as s:
        return s.get_one(Workspace, api.site.harness.workspace_id)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/me"),
        ("GET", "/settings"),
        ("PUT", "/settings"),
        ("POST", "/settings/test-connection"),
        ("GET", "/accounts/abc"),
        ("POST", "/me/sync"),
        ("GET", "/members"),
    ],
)
async def test_signed_out_calls_get_401_login_required(api: Api, method: str, path: str) -> None:
    answer = await api.call(method, path, {"extended_access": True})
    assert (answer.status_code, error_of(answer)) == (401, "login_required")
    assert answer.headers["content-type"] == "application/json"


async def test_me_says_who_and_hands_out_the_csrf_token(api: Api) -> None:
    member = await api.site.sign_in(WorkspaceRole.ADMIN)

    answer = await api.call("GET", "/me")

    body = answer.json()
    assert body["member"]["id"] == member.id
    assert body["member"]["okta_user_id"] == member.external_id
    assert body["can_edit_settings"] is True
    assert body["csrf_token"]
    assert answer.headers["cache-control"] == "no-store"


async def test_an_admin_sets_everything_in_one_put_and_the_token_stays_write_only(
    api: Api,
) -> None:
    await api.site.sign_in(WorkspaceRole.ADMIN)
    token = api.site.harness.org_ctx.api_token

    put = await api.call(
        "PUT", "/settings", {"extended_access": True, "okta_domain": ORG, "okta_token": token}
    )
    got = await api.call("GET", "/settings")

    assert put.status_code == 200
    assert put.json() == got.json()
    assert got.json()["extended_access"] is True
    assert got.json()["okta_domain"] == ORG
    assert got.json()["okta_token"]["set"] is True
    assert got.json()["okta_token"]["status"] == "unchecked"
    assert all(token not in answer.text for answer in api.seen)


async def test_a_bad_domain_changes_nothing_even_beside_good_fields(api: Api) -> None:
    await api.site.sign_in(WorkspaceRole.OWNER)

    answer = await api.call(
        "PUT", "/settings", {"extended_access": True, "okta_domain": "http://acme.okta.com"}
    )

    assert (answer.status_code, error_of(answer)) == (400, "invalid_input")
    assert answer.json()["field"] == "okta_domain"
    assert (workspace(api).extended_access_enabled, workspace(api).okta_domain) == (False, None)


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        ([True], None, 400, "invalid_request"),
        ({}, None, 400, "invalid_request"),
        ({"extended_access": "yes"}, None, 400, "invalid_request"),
        ({"okta_secret": "x"}, None, 400, "invalid_request"),
        ({"okta_token": ""}, None, 400, "invalid_input"),
        ({"okta_domain": "https://a.okta.com"}, {"Content-Type": "text/plain"}, 415, None),
        ({"okta_domain": "https://" + "a" * 20_000}, None, 413, "request_too_large"),
    ],
)
async def test_malformed_settings_bodies_are_refused(
    api: Api,
    body: object,
    headers: dict[str, str] | None,
    status: int,
    code: str | None,
) -> None:
    await api.site.sign_in(WorkspaceRole.ADMIN)

    answer = await api.call("PUT", "/settings", body, headers=headers)

    assert answer.status_code == status
    assert error_of(answer) == (code or "unsupported_media_type")
    assert workspace(api).okta_domain is None


@pytest.mark.parametrize("csrf", [None, "", "forged"])
async def test_writes_without_the_sessions_csrf_header_are_refused(
    api: Api, csrf: str | None
) -> None:
    owner = await api.site.sign_in(WorkspaceRole.OWNER)
    api.site.connect_okta()
    account = api.site.account((owner, ItemRole.OWNER))

    calls = [
        ("PUT", "/settings", {"extended_access": False}),
        ("POST", f"/accounts/{account.id}/extension", None),
        ("POST", "/me/sync", None),
    ]
    for method, path, body in calls:
        answer = await api.call(method, path, body, csrf=csrf)
        assert (answer.status_code, error_of(answer)) == (403, "invalid_csrf_token"), path

    assert workspace(api).extended_access_enabled is True


@pytest.mark.parametrize("role", [WorkspaceRole.USER, WorkspaceRole.LOGIN_ONLY])
async def test_non_admins_cannot_read_or_change_settings_or_list_members(
    api: Api, role: WorkspaceRole
) -> None:
    await api.site.sign_in(role)

    for method, path in (
        ("GET", "/settings"),
        ("PUT", "/settings"),
        ("POST", "/settings/test-connection"),
        ("GET", "/members"),
    ):
        answer = await api.call(method, path, {"extended_access": True})
        assert (answer.status_code, error_of(answer)) == (403, "permission_denied"), path
    assert workspace(api).extended_access_enabled is False


async def test_test_connection_ok_then_refused_shows_needs_update(api: Api) -> None:
    await api.site.sign_in(WorkspaceRole.SUPER_ADMIN)
    api.site.connect_okta()

    ok = await api.call("POST", "/settings/test-connection")
    assert ok.json()["ok"] is True
    assert ok.json()["settings"]["okta_token"]["status"] == "ok"

    wrong = secrets.token_urlsafe(30)
    await api.call("PUT", "/settings", {"okta_token": wrong})
    refused = await api.call("POST", "/settings/test-connection")

    assert refused.status_code == 200
    assert refused.json()["ok"] is False
    assert refused.json()["summary"].startswith("401 E0000011")
    assert refused.json()["settings"]["okta_token"]["needs_update"] is True
    assert workspace(api).okta_token_status is TokenStatus.INVALID
    assert all(
        wrong not in a.text and api.site.harness.org_ctx.api_token not in a.text for a in api.seen
    )


async def test_an_owner_extends_syncs_and_removes_an_account(api: Api) -> None:
    owner = await api.site.sign_in(WorkspaceRole.USER)
    api.site.connect_okta()
    account = api.site.account((owner, ItemRole.OWNER))
    path = f"/accounts/{account.id}"

    before = await api.call("GET", path)
    assert before.json()["okta"] is None
    assert before.json()["allowed"] == {"extend": True, "sync": False, "remove": False}
    assert "password" not in before.text

    extended = await api.call("POST", f"{path}/extension")
    assert extended.status_code == 201
    assert extended.json()["okta"]["sync_state"] == "pending"
    assert extended.json()["okta"]["extended_by"] == (owner.name or owner.email)
    again = await api.call("POST", f"{path}/extension")
    assert (again.status_code, error_of(again)) == (409, "conflict")

    api.site.clear_outbox()
    synced = await api.call("POST", f"{path}/extension/sync")
    assert synced.status_code == 202
    assert api.site.queued() == {account.id}

    removed = await api.call("DELETE", f"{path}/extension")
    assert removed.status_code == 202
    assert removed.json()["okta"]["sync_state"] == "removing"
    sync_while_removing = await api.call("POST", f"{path}/extension/sync")
    assert sync_while_removing.status_code == 409


async def test_account_refusals(api: Api) -> None:
    api.site.connect_okta()
    owner = api.site.colleague()
    me = await api.site.sign_in(WorkspaceRole.ADMIN)
    shared = api.site.extended(owner, (me, ItemRole.COLLABORATOR))
    hidden = api.site.extended(owner)
    not_extended = api.site.account((me, ItemRole.OWNER))

    cases = [
        ("GET", f"/accounts/{hidden.id}", 404, "not_found"),
        ("GET", "/accounts/nOsUcHaCcOuNt000000000", 404, "not_found"),
        ("DELETE", f"/accounts/{hidden.id}/extension", 404, "not_found"),
        ("DELETE", f"/accounts/{shared.id}/extension", 403, "permission_denied"),
        ("POST", f"/accounts/{shared.id}/extension/sync", 403, "permission_denied"),
        ("POST", f"/accounts/{not_extended.id}/extension/sync", 409, "conflict"),
        ("DELETE", f"/accounts/{not_extended.id}/extension", 409, "conflict"),
        ("PATCH", f"/accounts/{shared.id}/extension", 405, "method_not_allowed"),
        ("GET", "/nowhere", 404, "not_found"),
    ]
    for method, path, status, code in cases:
        answer = await api.call(method, path)
        assert (answer.status_code, error_of(answer)) == (status, code), (method, path)


async def test_extending_with_the_feature_off_is_a_conflict(api: Api) -> None:
    api.site.connect_okta(enabled=False)
    owner = await api.site.sign_in(WorkspaceRole.USER)
    account = api.site.account((owner, ItemRole.OWNER))

    answer = await api.call("POST", f"/accounts/{account.id}/extension")

    assert (answer.status_code, error_of(answer)) == (409, "conflict")
    assert "turned off" in answer.json()["error_description"]


async def test_sync_all_for_me_counts_what_was_queued(api: Api) -> None:
    api.site.connect_okta()
    me = await api.site.sign_in(WorkspaceRole.USER)
    mine = api.site.extended(me)
    api.site.extended(api.site.colleague(), (me, ItemRole.COLLABORATOR))
    api.site.clear_outbox()

    answer = await api.call("POST", "/me/sync")

    assert answer.status_code == 202
    assert answer.json() == {"queued": 1, "account_ids": [mine.id]}


async def test_members_list_the_okta_user_id_or_null(api: Api) -> None:
    admin = await api.site.sign_in(WorkspaceRole.ADMIN)
    local = api.site.colleague(okta=False)

    answer = await api.call("GET", "/members")

    by_id = {m["id"]: m for m in answer.json()["members"]}
    assert by_id[admin.id]["okta_user_id"] == admin.external_id
    assert by_id[admin.id]["role"] == "admin"
    assert by_id[local.id]["okta_user_id"] is None
    assert API.endswith("/api/admin/v1")
