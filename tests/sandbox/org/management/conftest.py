"""A sandbox org on a real loopback port, and clients that call it as Okta's clients do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.serve import RunningOrg, serve_org
from tests.sandbox.org.management.okta_bodies import TOKEN, MakeApp, bookmark


@pytest.fixture
def org() -> Iterator[RunningOrg]:
    with serve_org(api_token=TOKEN) as running:
        yield running


@pytest.fixture
def api(org: RunningOrg) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"SSWS {TOKEN}", "Accept": "application/json"}
    with httpx.Client(base_url=org.url, headers=headers) as client:
        yield client


@pytest.fixture
def control(org: RunningOrg) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{org.url}/_sandbox") as client:
        yield client


@pytest.fixture
def make_app(api: httpx.Client) -> MakeApp:
    def create(label: str = "Shared mailbox - Gmail", **kwargs: Any) -> dict[str, Any]:
        body = bookmark(label, **kwargs)
        response = api.post("/api/v1/apps", params={"activate": "true"}, json=body)
        assert response.status_code == 200, response.text
        app: dict[str, Any] = response.json()
        return app

    return create
