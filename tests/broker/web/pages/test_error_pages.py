"""404, 405 and 500 answered with the broker's own pages; the APIs keep their JSON errors."""

from __future__ import annotations

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from broker.models import WorkspaceRole
from broker.web.app import create_app
from tests.broker.web.conftest import BROKER
from tests.broker.web.pages.conftest import Site, main_of

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("path", ["/nope", "/accountz", "/settings/nothing/here", "/static/x.css"])
async def test_an_unknown_path_gets_the_not_found_page(site: Site, path: str) -> None:
    await site.sign_in(WorkspaceRole.USER)

    answer = await site.get(path)

    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    text = main_of(answer.text)
    assert "This page is not available" in text
    assert 'href="/profile">My Profile</a>' in text  # a way on, for a signed-in member
    assert 'href="/profile"' in answer.text.split("<main", 1)[0]  # the usual header


async def test_a_wrong_method_gets_the_405_page_with_allow(site: Site) -> None:
    await site.sign_in(WorkspaceRole.USER)

    answer = await site.get("/profile/sync")

    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert "This address is not a page to open" in main_of(answer.text)


@pytest.mark.parametrize(
    ("path", "kind"), [("/scim/v2/Nope", "scim"), ("/api/ext/v1/nope", "json")]
)
async def test_the_apis_keep_their_own_error_format(site: Site, path: str, kind: str) -> None:
    answer = await site.get(path)

    assert answer.status_code in (401, 403, 404)
    assert "json" in answer.headers["content-type"], kind


async def test_a_crash_gets_the_500_page_with_a_reference(site: Site) -> None:
    async def boom(request: Request) -> Response:
        raise RuntimeError("a bug")

    app = create_app(site.harness.ctx)
    app.add_route("/boom", boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BROKER) as client:
        answer = await client.get("/boom")

    assert answer.status_code == 500
    text = main_of(answer.text)
    assert "Something went wrong on Latchkey" in text
    assert "a bug" not in answer.text  # nothing of the exception reaches the page
    assert "Reference: <code>" in text
    assert answer.headers["cache-control"] == "no-store"
