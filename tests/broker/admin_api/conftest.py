"""The admin API called as a script calls it: with the browser's session cookie, and the CSRF
token from `GET /me` in `X-CSRF-Token` on writes.

The broker, the sandbox org and a signed-in browser come from the web tests' fixtures, imported
here (not copied) so both suites share one way of signing in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.broker.web.conftest import BROKER, harness  # noqa: F401
from tests.broker.web.pages.conftest import Site, site  # noqa: F401

API = f"{BROKER}/api/admin/v1"


@dataclass
class Api:
    site: Site
    seen: list[httpx.Response] = field(default_factory=list)  # every answer, for secret checks

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        csrf: str | None = "session",
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """One call; `csrf="session"` sends the session's token, None sends none."""
        sent = dict(headers or {})
        if csrf == "session":
            me = await self.site.browser.get(f"{API}/me")
            csrf = me.json()["csrf_token"] if me.status_code == 200 else None
        if csrf is not None:
            sent["X-CSRF-Token"] = csrf
        answer = await self.site.browser.request(method, f"{API}{path}", json=body, headers=sent)
        self.seen.append(answer)
        return answer


@pytest.fixture
def api(site: Site) -> Api:  # noqa: F811
    return Api(site)


def error_of(answer: httpx.Response) -> str:
    body = answer.json()
    assert set(body) >= {"error", "error_description"}, body
    return str(body["error"])
