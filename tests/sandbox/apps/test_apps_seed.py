from __future__ import annotations

import secrets

import pytest
from starlette.applications import Starlette

from sandbox.apps import (
    DEFAULT_USERNAME,
    SITES,
    DemoCredentials,
    SiteSeed,
    create_apps_app,
    demo_seed,
    seed_of,
)
from sandbox.apps.totp import decode_secret, new_secret
from tests.sandbox.apps.conftest import FakeClock
from tests.sandbox.apps.demo_browser import Browser, log_in


def test_demo_seed_has_one_fresh_account_per_site() -> None:
    first, second = demo_seed(), demo_seed()
    assert [e.site for e in first] == [site.key for site in SITES]
    assert all(e.username == DEFAULT_USERNAME for e in first)
    assert all(e.login_path == f"/{e.site}/login" for e in first)
    assert len({e.password for e in first + second}) == 2 * len(SITES)
    assert first[0].login_url("http://127.0.0.1:8420/") == "http://127.0.0.1:8420/single/login"


def test_code_sites_get_secrets_and_one_is_80_bits() -> None:
    secrets_by_site = {e.site: e.totp_secret for e in demo_seed()}
    assert secrets_by_site["single"] is None
    totp_secret, split_secret = secrets_by_site["totp"], secrets_by_site["totp-split"]
    assert totp_secret is not None
    assert split_secret is not None
    assert len(decode_secret(totp_secret)) == 20
    assert (len(split_secret), len(decode_secret(split_secret))) == (16, 10)


def test_given_credentials_replace_the_generated_ones() -> None:
    mine = DemoCredentials("bob@demo.test", secrets.token_urlsafe(12), new_secret())
    entry = {e.site: e for e in demo_seed({"totp": mine})}["totp"]
    assert entry.credentials == mine


@pytest.mark.parametrize(
    "credentials",
    [
        {"nowhere": DemoCredentials("a@demo.test", "password1")},
        {"totp": DemoCredentials("a@demo.test", "password1")},
        {"totp": DemoCredentials("a@demo.test", "password1", "not base32!")},
    ],
)
def test_unusable_credentials_are_refused(credentials: dict[str, DemoCredentials]) -> None:
    with pytest.raises((KeyError, ValueError)):
        demo_seed(credentials)


@pytest.mark.anyio
async def test_control_plane_lists_and_adds_accounts(
    app: Starlette, seed: tuple[SiteSeed, ...], clock: FakeClock
) -> None:
    async with Browser(app) as browser:
        listed = (await browser.client.get("/_control/seed")).json()["sites"]
        assert [SiteSeed(**e) for e in listed] == list(seed)
        bob = {"site": "single", "username": "bob@demo.test", "password": "b0b-Passw0rd"}
        response = await browser.client.post("/_control/accounts", json=bob)
        assert response.status_code == 200
        page = await log_in(browser, "/single/login", bob["username"], bob["password"])
        assert page.signed_in_user == "bob@demo.test"
    assert len(seed_of(app)) == len(seed) + 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    "body",
    [
        {"site": "nowhere", "username": "b@demo.test", "password": "password1"},
        {"site": "totp", "username": "b@demo.test", "password": "password1"},
        {"site": "totp", "username": "b@demo.test", "password": "p1", "totp_secret": "!!"},
        {"site": "single", "username": "", "password": "password1"},
    ],
)
async def test_control_plane_refuses_bad_accounts(app: Starlette, body: dict[str, str]) -> None:
    async with Browser(app) as browser:
        response = await browser.client.post("/_control/accounts", json=body)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


@pytest.mark.anyio
async def test_control_plane_can_be_turned_off(seed: tuple[SiteSeed, ...]) -> None:
    async with Browser(create_apps_app(seed, control_plane=False)) as browser:
        assert (await browser.client.get("/_control/seed")).status_code == 404


@pytest.mark.anyio
async def test_a_reused_code_is_refused_when_asked(
    seed: tuple[SiteSeed, ...], seeds: dict[str, SiteSeed], clock: FakeClock
) -> None:
    app = create_apps_app(seed, clock=clock, reject_reused_codes=True)
    entry = seeds["totp"]
    code = clock.code(entry)
    results = []
    for _ in range(2):
        async with Browser(app) as browser:
            page = await log_in(
                browser, entry.login_path, entry.username, entry.password, code=code
            )
            results.append(page.signed_in_user)
    assert results == [entry.username, None]
