"""Okta's official Python SDK (PyPI `okta`) drives the sandbox org as it drives a real one.

The SDK insists on https org URLs unless its `testing.testingDisableHttpsCheck` setting is on; a
`Client` reads that setting only from the environment (`OKTA_TESTING_TESTINGDISABLEHTTPSCHECK`)
or `okta.yaml`, so the test sets the environment variable.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from okta.client import Client
from okta.models import (
    AppUserAssignRequest,
    BookmarkApplication,
    BookmarkApplicationSettings,
    BookmarkApplicationSettingsApplication,
)
from okta.pagination import PaginationHelper

from sandbox.seed import seed_user
from sandbox.serve import RunningOrg
from tests.sandbox.org.management.okta_bodies import TOKEN, fresh_window


@pytest.fixture
def sdk_config(org: RunningOrg, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")
    return {
        "orgUrl": org.url,
        "token": TOKEN,
        "authorizationMode": "SSWS",
        "rateLimit": {"maxRetries": 2},
    }


def _bookmark(label: str, url: str) -> BookmarkApplication:
    settings = BookmarkApplicationSettingsApplication(url=url, request_integration=False)
    return BookmarkApplication(
        name="bookmark",
        sign_on_mode="BOOKMARK",
        label=label,
        settings=BookmarkApplicationSettings(app=settings),
    )


def test_the_sdk_creates_renames_assigns_and_unassigns(sdk_config: dict[str, Any]) -> None:
    owner, member = seed_user("owner").id, seed_user("member").id

    async def scenario() -> tuple[Any, ...]:
        async with Client(sdk_config) as client:
            app, _, error = await client.create_application(
                _bookmark("Payroll - Gusto", "https://broker.example/launch/acc1"), activate=True
            )
            assert error is None
            app.label = "Payroll (EU) - Gusto"
            renamed, _, error = await client.replace_application(app.id, app)
            assert error is None
            for user_id in (owner, member):
                _, _, error = await client.assign_user_to_application(
                    app.id, AppUserAssignRequest(id=user_id)
                )
                assert error is None
            _, _, error = await client.unassign_user_from_application(app.id, member)
            assert error is None
            users, _, _ = await client.list_application_users(app.id)
            fetched, _, _ = await client.get_application(app.id)
            return app, renamed, users, fetched

    app, renamed, users, fetched = asyncio.run(scenario())

    assert type(app).__name__ == "BookmarkApplication"
    assert app.status == "ACTIVE"
    assert renamed.label == fetched.label == "Payroll (EU) - Gusto"
    assert fetched.settings.app.url == "https://broker.example/launch/acc1"
    assert [u.id for u in users] == [owner]


def test_the_sdk_lists_every_page_by_the_after_cursor(
    sdk_config: dict[str, Any], api: httpx.Client
) -> None:
    for n in range(5):
        api.post("/api/v1/apps", json=_bookmark(f"App {n}", "https://x.example/").to_dict())

    async def scenario() -> tuple[list[str], int]:
        labels: list[str] = []
        pages = 0
        after: str | None = None
        async with Client(sdk_config) as client:
            while True:
                apps, response, error = await client.list_applications(
                    limit=2, after=after, filter='name eq "bookmark"'
                )
                assert error is None
                labels += [a.label for a in apps]
                pages += 1
                after = PaginationHelper.extract_next_cursor(response.headers)
                if after is None:
                    return labels, pages

    labels, pages = asyncio.run(scenario())

    assert sorted(labels) == [f"App {n}" for n in range(5)]
    assert pages == 3


def test_the_sdk_is_throttled_and_retries_after_the_reset(
    sdk_config: dict[str, Any], org: RunningOrg, control: httpx.Client
) -> None:
    # A one-second window keeps the SDK's wait (Reset - Date + 1 s) short.
    control.put("/limits", json={"limits": {"apps": 4}, "window_seconds": 1})
    fresh_window(org, window=1, need=0.5)

    async def scenario() -> list[int]:
        async with Client(sdk_config) as client:
            statuses = []
            for _ in range(3):
                _, response, error = await client.list_applications()
                assert error is None
                statuses.append(response.status_code)
            return statuses

    statuses = asyncio.run(scenario())
    calls = control.get("/calls").json()["apps"]

    assert statuses == [200, 200, 200]
    assert calls["throttled"] >= 1
    assert calls["calls"] == 3 + calls["throttled"]
