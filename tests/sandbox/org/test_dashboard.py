"""The End-User Dashboard and its Bookmark links, seen through a browser with cookies (an httpx
client on the ASGI app; Starlette's TestClient warns without `httpx2`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from sandbox.org import dashboard, oidc
from sandbox.org.context import OrgContext
from sandbox.org.state import OrgApp, OrgState, OrgUser, okta_id

ORG = "http://127.0.0.1:8410"
PASSWORD = "pw-123456"

pytestmark = pytest.mark.anyio


def bookmark(state: OrgState, label: str, url: str, *, status: str = "ACTIVE") -> OrgApp:
    app = OrgApp(
        id=okta_id("0oa"),
        name="bookmark",
        label=label,
        sign_on_mode="BOOKMARK",
        status=status,
        settings={"app": {"url": url, "requestIntegration": False}},
    )
    state.apps[app.id] = app
    return app


@dataclass
class Org:
    ctx: OrgContext
    ada: OrgUser
    bob: OrgUser
    browser: httpx.AsyncClient

    async def sign_in(self, user: OrgUser) -> None:
        response = await self.browser.post("/_sandbox/oidc/sessions", json={"login": user.login})
        assert response.status_code == 201


@pytest.fixture
async def org() -> AsyncIterator[Org]:
    ctx = OrgContext(base_url=ORG, api_token="t")
    ada = ctx.state.add_user("ada@example.com", password=PASSWORD)
    bob = ctx.state.add_user("bob@example.com", password=PASSWORD)
    app = Starlette(routes=[*oidc.routes(ctx), *dashboard.routes(ctx), *oidc.control_routes(ctx)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ORG) as browser:
        yield Org(ctx, ada, bob, browser)


def chiclet_labels(html: str) -> list[str]:
    return [part.split("</a>")[0].split(">")[-1] for part in html.split('class="chiclet"')[1:]]


async def test_the_dashboard_shows_active_apps_assigned_directly_or_through_a_group(
    org: Org,
) -> None:
    state = org.ctx.state
    direct = bookmark(state, "Wiki - Acme", "https://wiki.example/login")
    direct.user_ids[org.ada.id] = direct.created
    via_group = bookmark(state, "CRM - Acme", "https://crm.example/login")
    team = state.add_group("Sales")
    team.member_ids.add(org.ada.id)
    via_group.group_ids[team.id] = via_group.created
    inactive = bookmark(state, "Old - Acme", "https://old.example", status="INACTIVE")
    inactive.user_ids[org.ada.id] = inactive.created
    bookmark(state, "Not yours", "https://other.example").user_ids[org.bob.id] = direct.created

    await org.sign_in(org.ada)
    response = await org.browser.get("/app/UserHome")
    assert response.status_code == 200
    assert chiclet_labels(response.text) == ["CRM - Acme", "Wiki - Acme"]
    assert f'href="/home/bookmark/{direct.id}/{direct.link_id}"' in response.text
    assert [c.label for c in dashboard.chiclets(state, org.ada.id)] == ["CRM - Acme", "Wiki - Acme"]


async def test_the_dashboard_asks_a_signed_out_user_to_sign_in_and_comes_back(org: Org) -> None:
    response = await org.browser.get("/app/UserHome")
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert location.path == "/login/login.htm"
    assert parse_qs(location.query)["fromURI"] == ["/app/UserHome"]


async def test_a_bookmark_sends_an_assigned_user_to_the_app_url(org: Org) -> None:
    app = bookmark(org.ctx.state, "Wiki", "https://wiki.example/login")
    app.user_ids[org.ada.id] = app.created
    await org.sign_in(org.ada)
    response = await org.browser.get(f"/home/bookmark/{app.id}/{app.link_id}")
    assert response.status_code == 302
    assert response.headers["location"] == "https://wiki.example/login"


async def test_a_bookmark_signs_a_signed_out_user_in_first_and_then_redirects(org: Org) -> None:
    app = bookmark(org.ctx.state, "Wiki", "http://127.0.0.1:8400/launch/acc123")
    team = org.ctx.state.add_group("Everyone")
    team.member_ids.add(org.ada.id)
    app.group_ids[team.id] = app.created
    path = f"/home/bookmark/{app.id}/{app.link_id}"

    to_signin = await org.browser.get(path)
    assert to_signin.status_code == 302
    from_uri = parse_qs(urlsplit(to_signin.headers["location"]).query)["fromURI"][0]
    assert from_uri == path
    form = {"username": "ada@example.com", "password": PASSWORD, "fromURI": from_uri}
    signed_in = await org.browser.post("/login/login.htm", data=form)
    assert signed_in.headers["location"] == path
    launched = await org.browser.get(path)
    assert launched.status_code == 302
    assert launched.headers["location"] == "http://127.0.0.1:8400/launch/acc123"


@pytest.mark.parametrize(
    ("status", "assign_ada", "expected", "says"),
    [
        ("ACTIVE", False, 403, "not assigned"),
        ("INACTIVE", True, 404, "not available"),
    ],
)
async def test_a_bookmark_refuses_an_unassigned_user_or_an_inactive_app(
    org: Org, status: str, assign_ada: bool, expected: int, says: str
) -> None:
    app = bookmark(org.ctx.state, "Wiki", "https://wiki.example/login", status=status)
    app.user_ids[org.bob.id] = app.created
    if assign_ada:
        app.user_ids[org.ada.id] = app.created
    await org.sign_in(org.ada)
    response = await org.browser.get(f"/home/bookmark/{app.id}/{app.link_id}")
    assert response.status_code == expected
    assert "location" not in response.headers
    assert says in response.text


@pytest.mark.parametrize("wrong", ["app", "link"])
async def test_a_bookmark_with_an_unknown_app_or_link_is_not_found(org: Org, wrong: str) -> None:
    app = bookmark(org.ctx.state, "Wiki", "https://wiki.example/login")
    app.user_ids[org.ada.id] = app.created
    await org.sign_in(org.ada)
    app_id = okta_id("0oa") if wrong == "app" else app.id
    link_id = okta_id("0oa") if wrong == "link" else app.link_id
    response = await org.browser.get(f"/home/bookmark/{app_id}/{link_id}")
    assert response.status_code == 404
    assert "does not exist" in response.text


async def test_signing_out_of_the_dashboard_ends_the_session(org: Org) -> None:
    await org.sign_in(org.ada)
    assert (await org.browser.get("/app/UserHome")).status_code == 200
    await org.browser.get("/login/signout")
    assert (await org.browser.get("/app/UserHome")).status_code == 302
