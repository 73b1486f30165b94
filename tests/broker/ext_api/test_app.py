"""The whole broker app: a grant from the real launch page, redeemed through the mounted API."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from broker.context import BrokerContext
from broker.web.app import create_app
from tests.broker.ext_api.conftest import TOTP_SECRET, Scene, error_of
from tests.broker.ext_api.extension import API, BROKER_URL, Extension

pytestmark = pytest.mark.anyio


@pytest.fixture
def transport(scene: Scene) -> httpx.ASGITransport:
    settings = dataclasses.replace(scene.ctx.settings, workspace_name=scene.workspace.name)
    return httpx.ASGITransport(
        app=create_app(BrokerContext(settings, scene.ctx.sessions, scene.ctx.vault))
    )


@pytest.fixture
async def broker(transport: httpx.ASGITransport) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=transport, base_url=BROKER_URL) as client:
        yield client


async def test_a_grant_from_the_launch_page_opens_the_login_through_the_mounted_api(
    scene: Scene, broker: httpx.AsyncClient, transport: httpx.ASGITransport
) -> None:
    member = scene.member()
    account_id = scene.account_for(member, totp=TOTP_SECRET)
    cookie, _ = scene.sign_in(member)

    page = await broker.get(
        f"/launch/{account_id}", headers={"Cookie": f"latchkey_session={cookie}"}
    )
    assert page.status_code == 200, page.text
    found = re.search(r'<meta name="latchkey-grant" content="([^"]+)"', page.text)
    assert found is not None
    grant = found.group(1)

    api = httpx.AsyncClient(transport=transport, base_url=API + "/")
    async with api:
        extension = Extension(api)
        assert (await extension.register(cookie)).status_code == 201
        released = await extension.post("/grants/redeem", {"grant": grant})
        assert released.status_code == 200, released.text
        assert released.json()["account"]["id"] == account_id
        code = await extension.post("/code", {"ticket": released.json()["ticket"]})
        assert code.status_code == 200
        again = await extension.post("/grants/redeem", {"grant": grant})
        assert error_of(again) == "invalid_grant"
        document = await api.get("openapi.json")
        assert document.json()["paths"].keys() >= {"/grants/redeem", "/code"}
