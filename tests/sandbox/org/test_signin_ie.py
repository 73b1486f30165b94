"""The sandbox's Identity Engine sign-in page (behind `PUT /_sandbox/oidc/signin`), driven as a
browser would: the identifier, then the password, then the authenticator choice."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from sandbox.org import oidc
from sandbox.org.context import OrgContext
from sandbox.org.oidc.sessions import SESSION_COOKIE

ORG = "http://127.0.0.1:8410"
PASSWORD = "correct horse"
SIGNIN = "/login/login.htm?fromURI=%2Fapp%2FUserHome"
_HANDLE = re.compile(r'name="stateHandle" value="([^"]+)"')

pytestmark = pytest.mark.anyio


@pytest.fixture
async def browser() -> AsyncIterator[tuple[httpx.AsyncClient, OrgContext]]:
    ctx = OrgContext(base_url=ORG, api_token="t")
    ctx.state.add_user("ada@example.com", first_name="Ada", last_name="L", password=PASSWORD)
    app = Starlette(routes=[*oidc.routes(ctx), *oidc.control_routes(ctx)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORG) as client:
        switched = await client.put("/_sandbox/oidc/signin", json={"style": "identity_engine"})
        assert switched.json()["style"] == "identity_engine"
        yield client, ctx


def _handle(page: httpx.Response) -> str:
    found = _HANDLE.search(page.text)
    assert found is not None, page.text
    return found.group(1)


async def test_identifier_then_password_then_set_up_later_signs_in(
    browser: tuple[httpx.AsyncClient, OrgContext],
) -> None:
    client, _ = browser
    first = await client.get(SIGNIN)
    assert 'name="identifier"' in first.text
    assert "credentials.passcode" not in first.text
    second = await client.post(SIGNIN, data={"identifier": "ada@example.com"})
    assert 'name="credentials.passcode"' in second.text
    handle = _handle(second)
    third = await client.post(
        "/login/login.htm", data={"stateHandle": handle, "credentials.passcode": PASSWORD}
    )
    assert "Set up security methods" in third.text
    assert SESSION_COOKIE not in client.cookies, "not signed in before the choice"
    refused = await client.post(
        "/login/login.htm", data={"stateHandle": handle, "authenticator": "okta_verify"}
    )
    assert refused.status_code == 400
    assert "cannot be set up in the sandbox" in refused.text
    done = await client.post(
        "/login/login.htm", data={"stateHandle": handle, "authenticator": "skip"}
    )
    assert (done.status_code, done.headers["location"]) == (303, "/app/UserHome")
    assert SESSION_COOKIE in client.cookies
    replay = await client.post(
        "/login/login.htm", data={"stateHandle": handle, "authenticator": "skip"}
    )
    assert replay.status_code == 401, "a finished sign-in's handle is spent"


async def test_a_wrong_password_stays_on_the_password_page(
    browser: tuple[httpx.AsyncClient, OrgContext],
) -> None:
    client, _ = browser
    handle = _handle(await client.post(SIGNIN, data={"identifier": "nobody@example.com"}))
    wrong = await client.post(
        "/login/login.htm", data={"stateHandle": handle, "credentials.passcode": PASSWORD}
    )
    assert wrong.status_code == 401
    assert "Password is incorrect" in wrong.text
    assert SESSION_COOKIE not in client.cookies


async def test_a_user_deactivated_between_the_pages_is_not_signed_in(
    browser: tuple[httpx.AsyncClient, OrgContext],
) -> None:
    client, ctx = browser
    handle = _handle(await client.post(SIGNIN, data={"identifier": "ada@example.com"}))
    await client.post(
        "/login/login.htm", data={"stateHandle": handle, "credentials.passcode": PASSWORD}
    )
    user = ctx.state.user_by_login("ada@example.com")
    assert user is not None
    user.status = "DEPROVISIONED"
    done = await client.post(
        "/login/login.htm", data={"stateHandle": handle, "authenticator": "skip"}
    )
    assert done.status_code == 401
    assert SESSION_COOKIE not in client.cookies


async def test_an_unknown_style_is_refused(
    browser: tuple[httpx.AsyncClient, OrgContext],
) -> None:
    client, _ = browser
    bad = await client.put("/_sandbox/oidc/signin", json={"style": "widget3000"})
    assert bad.status_code == 400
    assert (await client.get("/_sandbox/oidc/signin")).json()["style"] == "identity_engine"
