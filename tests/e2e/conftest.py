"""Browser tests: Debian's Chromium with the real extension loaded (marked `browser` and `slow`).

They skip, saying why, when Chromium is missing (`scripts/ensure-chromium` installs it). Servers
run on loopback with `sandbox.serve.serve`: the fixture pages (`e2e.pages`), the demo sites and
their look-alike on another port.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Playwright, sync_playwright

from e2e.artifacts import Recorder
from e2e.broker import RunningBroker, serve_broker, sign_in
from e2e.browser import LoadedExtension, chromium_executable, launch_with_extension
from e2e.pages import create_pages_app
from sandbox.apps import SITES, SiteSeed, create_apps_app, create_lookalike_app, demo_seed
from sandbox.serve import serve

_HERE = Path(__file__).parent


_RECORDERS: list[Recorder] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "journey: a long journey, run by `make e2e` and left out of `make test`"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def chromium() -> str:
    found = chromium_executable()
    if found is None:
        pytest.skip(
            "Chromium is not installed (run scripts/ensure-chromium, or set LATCHKEY_CHROMIUM)"
        )
    return found


@pytest.fixture(scope="session")
def playwright(chromium: str) -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def extension(
    playwright: Playwright, chromium: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LoadedExtension]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    with launch_with_extension(playwright, profile, executable=chromium) as loaded:
        yield loaded


@pytest.fixture
def page(extension: LoadedExtension) -> Iterator[Page]:
    opened = extension.context.new_page()
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def pages_url() -> Iterator[str]:
    with serve(create_pages_app) as url:
        yield url


@pytest.fixture(scope="session")
def lib_url(pages_url: str) -> str:
    return f"{pages_url}/_lib"


@dataclass(frozen=True)
class DemoSites:
    url: str
    accounts: dict[str, SiteSeed]

    @property
    def origin(self) -> str:
        return self.url


@pytest.fixture(scope="session")
def demo() -> Iterator[DemoSites]:
    seed = demo_seed()
    with serve(lambda _url: create_apps_app(seed)) as url:
        yield DemoSites(url, {entry.site: entry for entry in seed})


@pytest.fixture(scope="session")
def lookalike() -> Iterator[str]:
    with serve(lambda _url: create_lookalike_app()) as url:
        yield url


@pytest.fixture(scope="module")
def broker(demo: DemoSites, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBroker]:
    """A real broker whose vault holds the demo sites' accounts (one per test module)."""
    seeds = [demo.accounts[site.key] for site in SITES]
    with serve_broker(tmp_path_factory.mktemp("broker"), demo.url, seeds) as running:
        yield running


@pytest.fixture
def signed_in(extension: LoadedExtension, page: Page, broker: RunningBroker) -> Page:
    """The extension pointed at the broker; the owner's broker session; no site cookies."""
    sign_in(extension, page, broker)
    return page


def session_storage(extension: LoadedExtension) -> dict[str, Any]:
    """Everything the extension keeps in `chrome.storage.session` now."""
    found: dict[str, Any] = extension.worker.evaluate("chrome.storage.session.get(null)")
    return found


@pytest.fixture(scope="session")
def recorder(tmp_path_factory: pytest.TempPathFactory) -> Recorder:
    """The journeys' recorder: a failed journey's artifacts under LATCHKEY_QA_ARTIFACTS (or the
    run's pytest temporary folder); the table is printed at the end of the run."""
    root = os.environ.get("LATCHKEY_QA_ARTIFACTS")
    found = Recorder(Path(root) if root else tmp_path_factory.getbasetemp() / "journeys")
    _RECORDERS.append(found)
    return found


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for found in _RECORDERS:
        if found.results:
            terminalreporter.write_sep("=", "journeys")
            terminalreporter.write_line(found.summary())
