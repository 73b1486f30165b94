from __future__ import annotations

import secrets

import pytest
from starlette.applications import Starlette

from sandbox.apps import SiteSeed, seed_of
from tests.sandbox.apps.conftest import FakeClock
from tests.sandbox.apps.demo_browser import Browser, Page, log_in

pytestmark = pytest.mark.anyio


async def _signed_in(browser: Browser, entry: SiteSeed, clock: FakeClock) -> Page:
    code = clock.code(entry) if entry.totp_secret else None
    page = await log_in(browser, entry.login_path, entry.username, entry.password, code=code)
    assert page.signed_in_user == entry.username
    return page


async def _change(browser: Browser, key: str, current: str, new: str, confirm: str) -> Page:
    page = await browser.get(f"/{key}/account/password")
    form = page.form("change-password-form")
    form.fill_autocomplete("current-password", current)
    for box, value in zip(form.by_autocomplete("new-password"), [new, confirm], strict=True):
        box.value = value
    return await browser.submit(page, form)


@pytest.mark.parametrize("key", ["single", "totp-split"])
async def test_changed_password_signs_in_and_the_old_one_no_longer_does(
    app: Starlette, seeds: dict[str, SiteSeed], clock: FakeClock, key: str
) -> None:
    entry = seeds[key]
    new = secrets.token_urlsafe(12)
    async with Browser(app) as browser:
        await _signed_in(browser, entry, clock)
        page = await _change(browser, key, entry.password, new, new)
        assert page.path == f"/{key}/account"
        assert page.notice == "Your password has been changed."
    code = clock.code(entry, 1) if entry.totp_secret else None
    async with Browser(app) as browser:
        page = await log_in(browser, entry.login_path, entry.username, entry.password, code=code)
        assert page.signed_in_user is None
        page = await log_in(browser, entry.login_path, entry.username, new, code=code)
        assert page.signed_in_user == entry.username
    assert {e.site: e.password for e in seed_of(app)}[key] == new


@pytest.mark.parametrize(
    ("current", "new", "confirm", "status", "error"),
    [
        ("wrong-password", "n3w-Passw0rd", "n3w-Passw0rd", 401, "current password is incorrect"),
        (None, "n3w-Passw0rd", "other-Passw0rd", 400, "do not match"),
        (None, "short", "short", 400, "at least 8 characters"),
        (None, None, None, 400, "must differ"),
    ],
)
async def test_a_refused_change_says_why_and_keeps_the_password(
    browser: Browser,
    app: Starlette,
    seeds: dict[str, SiteSeed],
    clock: FakeClock,
    current: str | None,
    new: str | None,
    confirm: str | None,
    status: int,
    error: str,
) -> None:
    entry = seeds["single"]
    await _signed_in(browser, entry, clock)
    p = entry.password
    page = await _change(browser, "single", current or p, new or p, confirm or p)
    assert page.status == status
    assert page.error is not None
    assert error in page.error
    assert {e.site: e.password for e in seed_of(app)}["single"] == entry.password


async def test_change_password_page_needs_a_signed_in_user(browser: Browser) -> None:
    assert (await browser.get("/single/account/password")).path == "/single/login"


async def test_new_password_signs_out_the_other_sessions(
    app: Starlette, seeds: dict[str, SiteSeed], clock: FakeClock
) -> None:
    entry, new = seeds["single"], secrets.token_urlsafe(12)
    async with Browser(app) as laptop, Browser(app) as phone:
        await _signed_in(laptop, entry, clock)
        await _signed_in(phone, entry, clock)
        await _change(laptop, "single", entry.password, new, new)
        assert (await laptop.get("/single/account")).signed_in_user == entry.username
        assert (await phone.get("/single/account")).signed_in_user is None


async def test_rotation_api_changes_the_password(
    browser: Browser, app: Starlette, seeds: dict[str, SiteSeed], clock: FakeClock
) -> None:
    entry, new = seeds["stepwise"], secrets.token_urlsafe(12)
    body = {"username": entry.username, "current_password": entry.password, "new_password": new}
    response = await browser.client.post("/stepwise/api/password", json=body)
    assert response.status_code == 200
    assert response.json() == {"status": "changed", "username": entry.username}
    page = await log_in(browser, entry.login_path, entry.username, new)
    assert page.signed_in_user == entry.username


async def test_rotation_api_on_a_code_site_needs_the_current_code(
    browser: Browser, seeds: dict[str, SiteSeed], clock: FakeClock
) -> None:
    entry, new = seeds["totp"], secrets.token_urlsafe(12)
    body = {"username": entry.username, "current_password": entry.password, "new_password": new}
    response = await browser.client.post("/totp/api/password", json=body)
    assert response.status_code == 400
    body["otp"] = f"{(int(clock.code(entry)) + 1) % 1_000_000:06d}"
    response = await browser.client.post("/totp/api/password", json=body)
    assert (response.status_code, response.json()["error"]) == (401, "invalid_code")
    body["otp"] = clock.code(entry)
    response = await browser.client.post("/totp/api/password", json=body)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"current_password": "wrong-one-here"}, 401, "invalid_credentials"),
        ({"username": "mallory@demo.test"}, 401, "invalid_credentials"),
        ({"new_password": "short"}, 422, "weak_password"),
        ({"new_password": None}, 400, "invalid_request"),
    ],
)
async def test_rotation_api_refusals_use_their_error_codes(
    browser: Browser,
    app: Starlette,
    seeds: dict[str, SiteSeed],
    body: dict[str, str | None],
    status: int,
    error: str,
) -> None:
    entry = seeds["single"]
    request = {
        "username": entry.username,
        "current_password": entry.password,
        "new_password": secrets.token_urlsafe(12),
        **body,
    }
    response = await browser.client.post("/single/api/password", json=request)
    assert (response.status_code, response.json()["error"]) == (status, error)
    assert {e.site: e.password for e in seed_of(app)}["single"] == entry.password


async def test_rotation_api_wants_json(browser: Browser, seeds: dict[str, SiteSeed]) -> None:
    entry = seeds["single"]
    form = {"username": entry.username, "current_password": entry.password}
    response = await browser.client.post("/single/api/password", data=form)
    assert response.status_code == 415
