from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sandbox.apps import SITES, create_lookalike_app
from tests.sandbox.apps.demo_browser import Browser, Page

pytestmark = pytest.mark.anyio

LOOKALIKE_ORIGIN = "http://127.0.0.1:8421"


def _layout(page: Page) -> list[tuple[str, str, list[tuple[str, str, list[str]]]]]:
    return [
        (f.id, f.action, [(i.name, i.type, i.autocomplete) for i in f.inputs]) for f in page.forms
    ]


@pytest.fixture
async def lookalike() -> AsyncIterator[Browser]:
    async with Browser(create_lookalike_app(), LOOKALIKE_ORIGIN) as b:
        yield b


@pytest.mark.parametrize("key", [site.key for site in SITES])
async def test_lookalike_serves_the_same_login_markup_at_the_same_path(
    lookalike: Browser, browser: Browser, key: str
) -> None:
    real = await browser.get(f"/{key}/login")
    fake = await lookalike.get(f"/{key}/login")
    assert fake.status == 200

    assert _layout(fake) == _layout(real)


async def test_nothing_is_captured_until_something_is_submitted(lookalike: Browser) -> None:
    await lookalike.get("/single/login")
    response = await lookalike.client.get("/_captured")
    assert response.json() == {"submissions": []}


async def test_lookalike_records_a_submitted_login(lookalike: Browser) -> None:
    page = await lookalike.get("/single/login")
    form = page.form("login-form")
    form.fill_autocomplete("username", "alice@demo.test")
    form.fill_autocomplete("current-password", "typed-by-mistake")
    page = await lookalike.submit(page, form)
    assert page.status == 401  # it pretends the password was wrong
    (captured,) = (await lookalike.client.get("/_captured")).json()["submissions"]
    assert captured["method"] == "POST"
    assert captured["path"] == "/single/login"
    assert captured["form"]["username"] == ["alice@demo.test"]
    assert captured["form"]["password"] == ["typed-by-mistake"]


async def test_lookalike_records_json_and_query_string_leaks_and_forgets_on_delete(
    lookalike: Browser,
) -> None:
    await lookalike.client.post("/collect", json={"password": "p"})
    await lookalike.client.get("/totp/verify?otp=123456")
    captured = (await lookalike.client.get("/_captured")).json()["submissions"]
    assert [(c["path"], c["body"], c["query"]) for c in captured] == [
        ("/collect", '{"password":"p"}', ""),
        ("/totp/verify", "", "otp=123456"),
    ]
    assert (await lookalike.client.delete("/_captured")).status_code == 204
    assert (await lookalike.client.get("/_captured")).json() == {"submissions": []}


async def test_lookalike_sets_no_cookie_of_the_real_sites(lookalike: Browser) -> None:
    await lookalike.get("/single/login")
    assert not list(lookalike.client.cookies.jar)
