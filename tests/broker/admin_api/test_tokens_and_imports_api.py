"""Scripts with a personal API token: Bearer instead of cookie + CSRF, exactly the member's
rights, a dead token is 401 `invalid_token` and never falls back to the cookie; `/tokens` and
`/imports`."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import select

from broker.actions import members as member_actions
from broker.actions import tokens
from broker.db import transaction
from broker.models import Account, Member, WorkspaceRole
from tests.broker.admin_api.conftest import API, Api, error_of
from tests.broker.imports.test_parsers import CHROME_HEADER, csv_bytes

pytestmark = pytest.mark.anyio


async def _new_token(api: Api, name: str = "script") -> dict[str, str]:
    answer = await api.call("POST", "/tokens", {"name": name})
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _script(api: Api) -> httpx.AsyncClient:
    """A script: the same in-process broker, without the signed-in browser's cookies."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=api.site.harness.broker))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_session_creates_a_token_that_a_script_uses_without_csrf(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    member = await api.site.sign_in(WorkspaceRole.ADMIN)
    created = await _new_token(api, "nightly")

    assert created["token"].startswith("lk_")
    async with _script(api) as script:
        me = await script.get(f"{API}/me", headers=bearer(created["token"]))
        listed = await script.get(f"{API}/tokens", headers=bearer(created["token"]))
        write = await script.put(
            f"{API}/settings", json={"extended_access": True}, headers=bearer(created["token"])
        )

    assert me.json()["member"]["id"] == member.id
    assert [t["name"] for t in listed.json()["tokens"]] == ["nightly"]
    assert listed.json()["tokens"][0]["last_used_at"] is not None
    assert created["token"] not in listed.text
    assert write.status_code == 200  # no X-CSRF-Token needed with a bearer
    assert created["token"] not in caplog.text


async def test_a_token_has_exactly_its_members_rights(api: Api) -> None:
    await api.site.sign_in(WorkspaceRole.USER)
    created = await _new_token(api)

    async with _script(api) as script:
        answer = await script.get(f"{API}/settings", headers=bearer(created["token"]))

    assert (answer.status_code, error_of(answer)) == (403, "permission_denied")


@pytest.mark.parametrize(
    "header",
    ["Bearer lk_unknown", "Bearer ", "Basic dXNlcjpwdw==", "Bearer revoked"],
)
async def test_a_dead_token_is_401_and_never_falls_back_to_the_cookie(
    api: Api, header: str
) -> None:
    await api.site.sign_in(WorkspaceRole.ADMIN)
    if header == "Bearer revoked":
        created = await _new_token(api)
        await api.call("DELETE", f"/tokens/{created['id']}")
        header = f"Bearer {created['token']}"

    # The browser still has its session cookie: it must not be used.
    answer = await api.site.browser.get(f"{API}/me", headers={"Authorization": header})

    assert (answer.status_code, error_of(answer)) == (401, "invalid_token")
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]


async def test_a_token_cannot_mint_tokens_but_can_revoke_itself(api: Api) -> None:
    await api.site.sign_in(WorkspaceRole.USER)
    created = await _new_token(api)

    async with _script(api) as script:
        minted = await script.post(
            f"{API}/tokens", json={"name": "more"}, headers=bearer(created["token"])
        )
        revoked = await script.delete(
            f"{API}/tokens/{created['id']}", headers=bearer(created["token"])
        )
        after = await script.get(f"{API}/me", headers=bearer(created["token"]))

    assert (minted.status_code, error_of(minted)) == (403, "permission_denied")
    assert revoked.json()["active"] is False
    assert after.status_code == 401


async def test_creating_a_token_with_the_session_needs_its_csrf_header(api: Api) -> None:
    await api.site.sign_in(WorkspaceRole.USER)
    answer = await api.call("POST", "/tokens", {"name": "x"}, csrf=None)
    assert (answer.status_code, error_of(answer)) == (403, "invalid_csrf_token")


async def test_login_only_members_get_no_token(api: Api) -> None:
    await api.site.sign_in(WorkspaceRole.LOGIN_ONLY)
    answer = await api.call("POST", "/tokens", {"name": "x"})
    assert (answer.status_code, error_of(answer)) == (403, "permission_denied")


async def test_deactivation_ends_a_scripts_access(api: Api) -> None:
    leaver = await api.site.sign_in(WorkspaceRole.USER)
    created = await _new_token(api)
    with transaction(api.site.harness.ctx.sessions) as s:
        member_actions.deactivate_in(s, s.get_one(Member, leaver.id), reason="test")

    async with _script(api) as script:
        answer = await script.get(f"{API}/me", headers=bearer(created["token"]))

    assert (answer.status_code, error_of(answer)) == (401, "invalid_token")
    assert tokens.member_of_token(api.site.harness.ctx, created["token"]) is None


async def test_a_script_imports_a_file_all_or_nothing(api: Api) -> None:
    member = await api.site.sign_in(WorkspaceRole.USER)
    created = await _new_token(api)
    good = csv_bytes(CHROME_HEADER, [["Wiki", "https://wiki.example/login", "ana", "w1k1-pw", ""]])
    bad = csv_bytes(
        CHROME_HEADER,
        [
            ["Wiki", "https://wiki.example/login", "ana", "w1k1-pw", ""],
            ["Old", "http://old.example/login", "ana", "old-pw", ""],
        ],
    )

    async with _script(api) as script:

        async def send(data: bytes, query: str) -> httpx.Response:
            return await script.post(
                f"{API}/imports?{query}",
                content=data,
                headers={**bearer(created["token"]), "Content-Type": "text/csv"},
            )

        refused = await send(bad, "format=chrome-csv")
        preview = await send(good, "format=chrome-csv&dry_run=true")
        done = await send(good, "format=chrome-csv")
        again = await send(good, "format=chrome-csv")
        wrong = await send(good, "format=bitwarden-json")
        unknown = await send(good, "format=keepass")

    assert (refused.status_code, error_of(refused)) == (400, "invalid_input")
    assert refused.json()["failed"] == 1
    assert refused.json()["rows"][1]["where"] == "line 3"
    assert (preview.status_code, preview.json()["imported"], preview.json()["written"]) == (
        200,
        1,
        False,
    )
    assert (done.status_code, done.json()["imported"]) == (201, 1)
    assert again.json()["skipped"] == 1
    assert (wrong.status_code, error_of(wrong), wrong.json()["field"]) == (
        400,
        "invalid_input",
        "file",
    )
    assert unknown.json()["field"] == "format"
    for answer in (refused, preview, done, again, wrong):
        assert "w1k1-pw" not in answer.text
        assert "old-pw" not in answer.text
    with api.site.harness.ctx.sessions() as s:
        names = s.scalars(select(Account.name)).all()
    assert names == ["Wiki"]
    assert member.id


async def test_an_import_over_the_size_limit_is_413(api: Api) -> None:
    await api.site.sign_in(WorkspaceRole.USER)
    answer = await api.site.browser.post(
        f"{API}/imports?format=chrome-csv",
        content=b"x" * (10 * 1024 * 1024 + 1),
        headers={"X-CSRF-Token": (await api.site.browser.get(f"{API}/me")).json()["csrf_token"]},
    )
    assert (answer.status_code, error_of(answer)) == (413, "request_too_large")
