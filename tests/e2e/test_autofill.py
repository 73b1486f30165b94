"""Autofill that real login pages can trust, in Chromium with the real extension launched through
the broker: every login fixture is filled and the site receives exactly the account's values;
every page that is no login step (sign-up, change or reset password, newsletter, search, payment,
address, profile, codes that are not ours, formless menus) keeps its fields, gets no click, no
submit and sends no request. The cases and checks are `e2e.autofill`'s, shared with Firefox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from e2e.autofill import (
    CASES,
    RECORDER,
    Case,
    Seen,
    World,
    case_params,
    check_case,
    run_cases,
    serve_world,
)
from e2e.broker import EXTENSION_ORIGIN, sign_in
from e2e.browser import LoadedExtension
from e2e.firefox import EXTENSION_ORIGIN as FIREFOX_ORIGIN
from e2e.launches import launch_records

_NAVIGATING = ("Execution context was destroyed", "navigat", "Target closed")


class ChromiumTab:
    def __init__(self, page: Page) -> None:
        self._page = page

    def evaluate(self, expression: str) -> Any:
        for _ in range(20):
            try:
                text = self._page.evaluate(f"async () => JSON.stringify(await ({expression}))")
                return json.loads(text) if isinstance(text, str) else None
            except PlaywrightError as exc:
                if not any(t in str(exc) for t in _NAVIGATING):
                    raise
                self._page.wait_for_timeout(100)
        raise AssertionError("the page kept navigating")

    def url(self) -> str:
        return self._page.url

    def close(self) -> None:
        self._page.close()


class ChromiumLauncher:
    def __init__(self, extension: LoadedExtension) -> None:
        self._extension = extension

    def open(self, url: str) -> ChromiumTab:
        page = self._extension.context.new_page()
        page.add_init_script(script=f"({RECORDER})()")
        page.goto(url, wait_until="commit")  # the launch goes on while the next tab opens
        return ChromiumTab(page)

    def launches(self) -> list[dict[str, Any]]:
        return launch_records(self._extension)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    origins = (EXTENSION_ORIGIN, FIREFOX_ORIGIN)
    with serve_world(tmp_path_factory.mktemp("autofill"), origins) as running:
        yield running


@pytest.fixture(scope="module")
def launcher(extension: LoadedExtension, world: World) -> Iterator[ChromiumLauncher]:
    page = extension.context.new_page()
    try:
        sign_in(extension, page, world.broker)
    finally:
        page.close()
    yield ChromiumLauncher(extension)
    # The browser is shared by every module: leave it unconfigured, as the others expect.
    extension.worker.evaluate(
        "Promise.all([chrome.storage.local.remove('brokerUrl'), chrome.storage.session.clear()])"
    )
    extension.context.clear_cookies()


@pytest.fixture(scope="module")
def seen(world: World, launcher: ChromiumLauncher) -> dict[str, Seen]:
    """Every case launched (several at once, each in its own tab), and what each left behind."""
    return run_cases(world, launcher, CASES)


@pytest.mark.parametrize("case", case_params(CASES))
def test_autofill_case(world: World, seen: dict[str, Seen], case: Case) -> None:
    check_case(world, case, seen[case.page])
