"""Following Okta's `Link: rel="next"`: verbatim, and only on the org's own origin."""

from __future__ import annotations

import httpx
import pytest

from sync.okta.auth import SSWS
from sync.okta.client import OktaClient
from sync.okta.errors import PermanentError
from sync.okta.pagination import next_link

ORG = httpx.URL("https://acme.okta.com")

pytestmark = pytest.mark.anyio


def page(link: str | None) -> httpx.Response:
    headers = {"Link": f'<{link}>; rel="next"'} if link else {}
    return httpx.Response(200, headers=headers, json=[])


def test_the_next_url_is_taken_as_okta_wrote_it() -> None:
    url = "https://acme.okta.com/api/v1/apps/0oa1/users?limit=500&after=00u%2Fopaque%3D%3D"

    assert next_link(page(url), ORG) == url


def test_a_page_without_a_next_link_is_the_last() -> None:
    assert next_link(page(None), ORG) is None


@pytest.mark.parametrize(
    "elsewhere",
    ["https://evil.example/api/v1/apps?after=x", "http://acme.okta.com/api/v1/apps?after=x"],
)
def test_a_next_link_to_another_origin_is_refused(elsewhere: str) -> None:
    with pytest.raises(PermanentError, match="another origin"):
        next_link(page(elsewhere), ORG)


async def test_the_client_sends_the_next_url_back_untouched_and_stops_on_an_empty_page() -> None:
    cursor = "https://acme.okta.com/api/v1/apps/0oa1/users?limit=500&after=00u2&foo=b%2Car"
    seen: list[str] = []

    def okta(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if "after" in request.url.params:
            return httpx.Response(200, json=[])  # the empty last page
        return httpx.Response(
            200,
            headers={"Link": f'<{cursor}>; rel="next"'},
            json=[{"id": "00u1", "scope": "USER"}, {"id": "00u2", "scope": "USER"}],
        )

    async with OktaClient(str(ORG), SSWS("00t"), transport=httpx.MockTransport(okta)) as client:
        ids = await client.list_app_user_ids("0oa1")

    assert ids == {"00u1", "00u2"}
    assert seen == ["https://acme.okta.com/api/v1/apps/0oa1/users?limit=500", cursor]
