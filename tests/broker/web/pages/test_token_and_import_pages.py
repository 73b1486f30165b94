"""The API tokens page and the import page, driven as a browser drives them (no script)."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from broker.models import Account, WorkspaceRole
from broker.token_models import ApiToken
from tests.broker.imports.test_parsers import CHROME_HEADER, csv_bytes
from tests.broker.web.conftest import BROKER
from tests.broker.web.pages.conftest import Site, has_form, hidden_fields, main_of

pytestmark = pytest.mark.anyio

_TOKEN = re.compile(r'value="(lk_[A-Za-z0-9_-]+)"')


async def _create(site: Site, name: str) -> tuple[httpx.Response, str]:
    page = await site.get("/profile/tokens")
    answer = await site.submit(page, "/profile/tokens", name=name)
    assert answer.status_code == 201, answer.text
    found = _TOKEN.search(answer.text)
    assert found
    return answer, found.group(1)


async def test_a_member_creates_a_token_sees_it_once_and_revokes_it(site: Site) -> None:
    await site.sign_in(WorkspaceRole.USER)
    profile = await site.get("/profile")
    assert 'href="/profile/tokens"' in main_of(profile.text)

    shown, token = await _create(site, "nightly import")
    listing = await site.get("/profile/tokens")

    assert "shown this once" in shown.text
    assert shown.headers["cache-control"] == "no-store"
    assert "set-cookie" not in shown.headers  # never carried in the flash cookie
    assert token not in listing.text
    assert "nightly import" in main_of(listing.text)
    assert "Never" in main_of(listing.text)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=site.harness.broker)) as script:
        me = await script.get(
            f"{BROKER}/api/admin/v1/me", headers={"Authorization": f"Bearer {token}"}
        )
    assert me.status_code == 200

    with site.harness.ctx.sessions() as s:
        token_id = s.scalars(select(ApiToken.id)).one()
    after = await site.submit_and_follow(listing, f"/profile/tokens/{token_id}/revoke")

    assert "“nightly import” is revoked" in after.text
    assert "Revoked" in main_of(after.text)
    assert not has_form(after.text, f"/profile/tokens/{token_id}/revoke")


async def test_an_empty_name_is_refused_with_the_reason(site: Site) -> None:
    await site.sign_in(WorkspaceRole.USER)
    page = await site.get("/profile/tokens")

    answer = await site.submit(page, "/profile/tokens", name="   ")

    assert answer.status_code == 400
    assert "name must not be empty" in answer.text
    assert not _TOKEN.search(answer.text)


async def test_settings_link_to_the_tokens_page(site: Site) -> None:
    await site.sign_in(WorkspaceRole.ADMIN)
    page = await site.get("/settings")
    assert 'href="/profile/tokens"' in main_of(page.text)


@pytest.mark.parametrize("role", [WorkspaceRole.LOGIN_ONLY, WorkspaceRole.GUEST])
async def test_login_only_members_see_neither_tokens_nor_import(
    site: Site, role: WorkspaceRole
) -> None:
    await site.sign_in(role)

    profile = await site.get("/profile")
    tokens_page = await site.get("/profile/tokens")
    import_page = await site.get("/import")

    assert "/profile/tokens" not in profile.text
    assert 'href="/import"' not in profile.text
    assert (tokens_page.status_code, import_page.status_code) == (403, 403)


async def test_a_token_post_without_the_csrf_token_is_refused(site: Site) -> None:
    await site.sign_in(WorkspaceRole.USER)
    answer = await site.browser.post(f"{BROKER}/profile/tokens", data={"name": "x"})
    assert answer.status_code == 403
    with site.harness.ctx.sessions() as s:
        assert s.scalars(select(ApiToken)).all() == []


def _upload(page: httpx.Response, action: str, data: bytes, **fields: str) -> dict[str, object]:
    return {
        "data": {**hidden_fields(page.text, action), **fields},
        "files": {"file": ("export.csv", data, "text/csv")},
    }


GOOD = csv_bytes(CHROME_HEADER, [["Wiki", "https://wiki.example/login", "ana", "w1k1-pw", ""]])


async def test_preview_then_confirm_imports_the_file(site: Site) -> None:
    await site.sign_in(WorkspaceRole.USER)
    form = await site.get("/import")
    assert 'href="/import"' in form.text  # in the header

    preview = await site.browser.post(
        f"{BROKER}/import/preview",
        **_upload(form, "/import/preview", GOOD, format="chrome-csv", collection="Team"),  # type: ignore[arg-type]
    )
    assert preview.status_code == 200
    assert "It would import 1" in preview.text
    assert "w1k1-pw" not in preview.text
    with site.harness.ctx.sessions() as s:
        assert s.scalars(select(Account)).all() == []

    other = csv_bytes(CHROME_HEADER, [["Other", "https://o.example", "o", "o-pw", ""]])
    mismatch = await site.browser.post(
        f"{BROKER}/import/confirm",
        **_upload(preview, "/import/confirm", other, format="chrome-csv", collection="Team"),  # type: ignore[arg-type]
    )
    assert mismatch.status_code == 303
    moved = await site.browser.post(
        f"{BROKER}/import/confirm",
        **_upload(preview, "/import/confirm", GOOD, format="chrome-csv", collection="Elsewhere"),  # type: ignore[arg-type]
    )
    refusal = await site.get(moved.headers["location"])
    assert "not the file, format or collection you previewed" in refusal.text
    confirmed = await site.browser.post(
        f"{BROKER}/import/confirm",
        **_upload(preview, "/import/confirm", GOOD, format="chrome-csv", collection="Team"),  # type: ignore[arg-type]
    )
    assert confirmed.status_code == 303
    after = await site.get(confirmed.headers["location"])

    assert "Imported 1, updated 0 and skipped 0 from the Chrome CSV file." in after.text
    with site.harness.ctx.sessions() as s:
        assert s.scalars(select(Account.name)).all() == ["Wiki"]


async def test_a_bad_row_is_shown_and_no_confirm_is_offered(site: Site) -> None:
    await site.sign_in(WorkspaceRole.USER)
    form = await site.get("/import")
    bad = csv_bytes(CHROME_HEADER, [["Old", "http://old.example/", "u", "old-pw", ""]])

    preview = await site.browser.post(
        f"{BROKER}/import/preview",
        **_upload(form, "/import/preview", bad, format="chrome-csv"),  # type: ignore[arg-type]
    )

    assert preview.status_code == 400
    assert "1 bad row" in preview.text
    assert "line 2" in preview.text
    assert "must use https" in preview.text
    assert not has_form(preview.text, "/import/confirm")


async def test_the_wrong_format_is_said_on_the_form(site: Site) -> None:
    await site.sign_in(WorkspaceRole.USER)
    form = await site.get("/import")

    answer = await site.browser.post(
        f"{BROKER}/import/preview",
        **_upload(form, "/import/preview", GOOD, format="bitwarden-csv"),  # type: ignore[arg-type]
    )

    assert answer.status_code == 400
    assert "This is not a Bitwarden CSV export" in answer.text
    assert 'aria-invalid="true"' in answer.text
