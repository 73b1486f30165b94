"""The same autofill cases in Firefox ESR, for real: Debian's firefox-esr with the extension
installed as a temporary add-on over WebDriver BiDi (`e2e.firefox`), launched through the broker
like in Chromium, plus every demo site's login. Skips, saying why, without firefox-esr
(`scripts/ensure-firefox` installs it)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from broker.seed import OWNER
from e2e.autofill import (
    CASES,
    MUST_FILL,
    MUST_NOT,
    RECORDER,
    Case,
    Seen,
    World,
    case_params,
    check_case,
    check_demo_login,
    run_cases,
    serve_world,
)
from e2e.broker import EXTENSION_ORIGIN
from e2e.firefox import EXTENSION_ORIGIN as FIREFOX_ORIGIN
from e2e.firefox import BiDiError, Firefox, firefox_executable, launch_firefox
from sandbox.apps import SITES

_RETRIES = 40


class FirefoxTab:
    def __init__(self, firefox: Firefox, context: str) -> None:
        self._firefox = firefox
        self._context = context

    def evaluate(self, expression: str) -> Any:
        for _ in range(_RETRIES):
            try:
                return self._firefox.evaluate(self._context, expression)
            except (BiDiError, RuntimeError):
                time.sleep(0.1)  # the document changed under the call: ask the new one
        return self._firefox.evaluate(self._context, expression)

    def url(self) -> str:
        return self._firefox.url(self._context)

    def close(self) -> None:
        self._firefox.close_tab(self._context)


class FirefoxLauncher:
    """Opens tabs in Firefox; reads the launch record on one of the extension's own pages."""

    def __init__(self, firefox: Firefox) -> None:
        self._firefox = firefox
        self._extension_page = firefox.new_tab()
        firefox.navigate(self._extension_page, firefox.extension_url("options/options.html"))

    def extension(self, expression: str) -> Any:
        return self._firefox.evaluate(self._extension_page, expression)

    def open(self, url: str) -> FirefoxTab:
        context = self._firefox.new_tab()
        self._firefox.navigate(context, url, wait="none")  # the launch goes on while others open
        return FirefoxTab(self._firefox, context)

    def launches(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.extension(
            "browser.storage.session.get('launches').then((r) => r.launches || [])"
        )
        return found


@pytest.fixture(scope="module")
def firefox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Firefox]:
    executable = firefox_executable()
    if executable is None:
        pytest.skip(
            "Firefox ESR is not installed (run scripts/ensure-firefox, or set LATCHKEY_FIREFOX)"
        )
    with launch_firefox(executable, tmp_path_factory.mktemp("firefox") / "profile") as running:
        running.add_preload_script(RECORDER)
        yield running


@pytest.fixture(scope="module")
def world(firefox: Firefox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    origins = (EXTENSION_ORIGIN, FIREFOX_ORIGIN)
    with serve_world(tmp_path_factory.mktemp("autofill-firefox"), origins) as running:
        yield running


@pytest.fixture(scope="module")
def launcher(firefox: Firefox, world: World) -> FirefoxLauncher:
    """The extension pointed at the broker (as its options page stores it), the owner signed in."""
    launcher = FirefoxLauncher(firefox)
    launcher.extension(f"browser.storage.local.set({{brokerUrl: {world.broker.url!r}}})")
    launcher.extension(
        """(async () => {
            for (let i = 0; i < 100; i++) {
                const found = await browser.scripting.getRegisteredContentScripts();
                if (found.length) return true;
                await new Promise((r) => setTimeout(r, 50));
            }
            throw new Error("the launch script was not registered");
        })()"""
    )
    firefox.set_cookie(world.broker.url, "latchkey_session", world.broker.open_session(OWNER))
    return launcher


def test_extension_runs_as_an_event_page_with_its_host_permissions(
    launcher: FirefoxLauncher,
) -> None:
    granted = launcher.extension("browser.permissions.getAll()")
    assert {"https://*/*", "http://127.0.0.1/*"} <= set(granted["origins"])
    # Firefox reads background.scripts (an event page, a window), not background.service_worker.
    background = "browser.runtime.getBackgroundPage().then((w) => w.document.scripts.length)"
    assert launcher.extension(background) == 1


@pytest.mark.parametrize("site", [s.key for s in SITES])
def test_demo_site_login(world: World, launcher: FirefoxLauncher, site: str) -> None:
    check_demo_login(world, launcher, site)


@pytest.fixture(scope="module")
def seen(world: World, launcher: FirefoxLauncher) -> dict[str, Seen]:
    """Every case launched, and what each left behind: the pages where nothing may happen
    several at once, each in its own tab; the logins one at a time (in Firefox, a code step
    starved of CPU beside other launches was seen read as refused before its page moved on)."""
    return {
        **run_cases(world, launcher, MUST_NOT),
        **run_cases(world, launcher, MUST_FILL, at_once=1),
    }


@pytest.mark.parametrize("case", case_params(CASES))
def test_autofill_case(world: World, seen: dict[str, Seen], case: Case) -> None:
    check_case(world, case, seen[case.page])
