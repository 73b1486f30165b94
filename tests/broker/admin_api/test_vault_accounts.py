"""The admin API for accounts, shares and activity, called as a script calls it; every answer is
checked against the OpenAPI document, and no answer ever carries a secret."""

from __future__ import annotations

import pytest

from broker.admin_api import broker_document
from broker.models import ItemRole, WorkspaceRole
from tests.broker.admin_api.conftest import Api, error_of
from tests.broker.admin_api.test_openapi import conforms

pytestmark = pytest.mark.anyio

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "api-password-never-echoed"
ACCOUNT = {
    "name": "Payroll",
    "app_name": "Gusto",
    "login_url": "https://app.gusto.example/login",
    "username": "ops@acme.example",
    "password": PASSWORD,
    "totp_secret": SECRET,
}
DOC = broker_document()


def _no_secret_anywhere(api: Api) -> None:
    for answer in api.seen:
        assert PASSWORD not in answer.text
        assert SECRET not in answer.text
        assert "new-secret-pw" not in answer.text


async def test_accounts_crud_with_write_only_secrets(api: Api) -> None:
    await api.site.sign_in(WorkspaceRole.USER)

    created = await api.call("POST", "/accounts", ACCOUNT)
    assert created.status_code == 201, created.text
    conforms(DOC, created, "AdminAccountSaved")
    body = created.json()
    account_id = body["account"]["id"]
    assert body["account"]["has_code"] is True
    assert body["account"]["role"] == "owner"
    assert len(body["current_code"]["code"]) == 6

    listed = await api.call("GET", "/accounts?q=gusto")
    conforms(DOC, listed, "AdminAccountList")
    assert [a["id"] for a in listed.json()["accounts"]] == [account_id]
    assert listed.json()["accounts"][0]["login_origin"] == "https://app.gusto.example"

    changed = await api.call(
        "PATCH", f"/accounts/{account_id}", {"name": "Payroll EU", "password": "new-secret-pw"}
    )
    assert changed.status_code == 200, changed.text
    conforms(DOC, changed, "AdminAccountSaved")
    assert changed.json()["account"]["name"] == "Payroll EU"
    assert changed.json()["current_code"] is None

    removed = await api.call("PATCH", f"/accounts/{account_id}", {"remove_code": True})
    assert removed.json()["account"]["has_code"] is False

    deleted = await api.call("DELETE", f"/accounts/{account_id}")
    assert deleted.status_code == 200
    assert (await api.call("GET", "/accounts")).json()["total"] == 0
    assert (await api.call("DELETE", f"/accounts/{account_id}")).status_code == 404
    _no_secret_anywhere(api)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"login_url": "http://gusto.example/"}, "login_url"),
        ({"login_url": "https://u:p@gusto.example/"}, "login_url"),
        ({"name": ""}, "name"),
        ({"totp_secret": "otpauth://hotp/x?secret=" + SECRET}, "totp_secret"),
        ({"password": 12}, "password"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    api: Api, change: dict[str, object], field: str
) -> None:
    await api.site.sign_in(WorkspaceRole.USER)

    refused = await api.call("POST", "/accounts", {**ACCOUNT, **change})

    assert refused.status_code == 400, refused.text
    conforms(DOC, refused, "AdminError")
    assert refused.json()["field"] == field
    assert (await api.call("GET", "/accounts")).json()["total"] == 0
    _no_secret_anywhere(api)


async def test_writes_need_the_csrf_token_and_the_right_role(api: Api) -> None:
    helper = api.site.colleague()
    owner = await api.site.sign_in(WorkspaceRole.USER)
    account = api.site.account((owner, ItemRole.OWNER), (helper, ItemRole.COLLABORATOR))

    no_token = await api.call("POST", "/accounts", ACCOUNT, csrf=None)
    assert (no_token.status_code, error_of(no_token)) == (403, "invalid_csrf_token")

    await api.site.sign_in(WorkspaceRole.LOGIN_ONLY)
    login_only = await api.call("POST", "/accounts", ACCOUNT)
    assert (login_only.status_code, error_of(login_only)) == (403, "permission_denied")
    outsider = await api.call("PATCH", f"/accounts/{account.id}", {"name": "x"})
    assert (outsider.status_code, error_of(outsider)) == (404, "not_found")
    activity = await api.call("GET", "/activity")
    assert activity.status_code == 403


async def test_shares_list_grant_preview_and_remove(api: Api) -> None:
    api.site.connect_okta()
    ana, guest = api.site.colleague(), api.site.colleague(WorkspaceRole.LOGIN_ONLY)
    owner = await api.site.sign_in(WorkspaceRole.USER)
    account = api.site.extended(owner)
    share = {"account_id": account.id, "member_id": ana.id, "role": "collaborator"}

    preview = await api.call("POST", "/shares/preview", share)
    assert preview.status_code == 200, preview.text
    conforms(DOC, preview, "AdminSharePreview")
    assert preview.json() == {"new_share": True, "extended_accounts": 1, "new_people": 1}

    granted = await api.call("PUT", "/shares", share)
    assert granted.status_code == 200, granted.text
    conforms(DOC, granted, "AdminAccess")
    people = {p["member_id"]: p for p in granted.json()["people"]}
    assert people[ana.id]["paths"] == ["Direct (collaborator)"]

    as_owner = await api.call("PUT", "/shares", {**share, "member_id": guest.id, "role": "owner"})
    assert (as_owner.status_code, as_owner.json()["field"]) == (400, "role")
    both = await api.call("PUT", "/shares", {**share, "team_id": "t"})
    assert both.status_code == 400

    listed = await api.call("GET", f"/shares?account_id={account.id}")
    conforms(DOC, listed, "AdminAccess")
    removed = await api.call("DELETE", f"/shares?account_id={account.id}&member_id={ana.id}")
    assert removed.status_code == 200
    assert ana.id not in {p["member_id"] for p in removed.json()["people"]}
    last = await api.call("DELETE", f"/shares?account_id={account.id}&member_id={owner.id}")
    assert (last.status_code, error_of(last)) == (409, "conflict")


async def test_activity_for_admins_filters_by_kind(api: Api) -> None:
    await api.site.sign_in(WorkspaceRole.ADMIN)
    await api.call("POST", "/accounts", ACCOUNT)

    log = await api.call("GET", "/activity?kind=account")

    assert log.status_code == 200, log.text
    conforms(DOC, log, "AdminActivity")
    assert [e["action"] for e in log.json()["events"]] == ["account.created"]
    assert log.json()["all_events"] is True
    bad = await api.call("GET", "/activity?kind=nope")
    assert (bad.status_code, bad.json()["field"]) == (400, "kind")
    _no_secret_anywhere(api)
