"""The user's journey end to end, as a person lives it: the Okta dashboard's chiclets, a click, the
broker's sign-in with Okta, the launch, the extension's fill and the site's success page, in
Chromium with the real extension against the sandbox org, the demo sites and a real broker that
got its people over SCIM and its Bookmark apps through sync. Then the journeys of
`e2e.journey.journeys`: every demo site's chiclet, and the fail-safe ones (a chiclet assigned by
hand, Login-only, a member deactivated over SCIM mid-session, an account removed from Okta, the
feature turned off, a password rotated after a deactivation)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from e2e.artifacts import Recorder
from e2e.browser import LoadedExtension
from e2e.journey.journeys import Journey, journeys
from e2e.journey.run import chiclet_login, stack_target
from e2e.journey.stack import Stack, StackConfig, serve_stack
from e2e.journey.user import (
    click_chiclet,
    configure_extension,
    extension_storage,
    sign_in_to_org,
    sign_out_everywhere,
)
from sandbox.apps import SITES
from sandbox.seed import SeedUser, seed_user


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Iterator[Stack]:
    config = StackConfig(
        tmp_path_factory.mktemp("journey"), broker_port=0, org_port=0, sites_port=0
    )
    with serve_stack(config) as running:
        yield running


@pytest.fixture
def fresh_page(extension: LoadedExtension, stack: Stack) -> Iterator[Page]:
    """A new person at the browser: extension signed out and pointed at this broker, no cookies."""
    page = extension.context.new_page()
    sign_out_everywhere(extension, page)
    configure_extension(extension, page, stack.broker_url)
    yield page
    page.close()


def _signed_in(page: Page, stack: Stack, person: SeedUser) -> list[str]:
    return sign_in_to_org(page, stack.dashboard_url, person.login, person.password)


def test_owner_clicks_a_chiclet_and_the_extension_logs_in_with_the_code_from_the_broker(
    extension: LoadedExtension, fresh_page: Page, stack: Stack, tmp_path: Path
) -> None:
    fresh_page.close()  # chiclet_login opens its own tab, as the demo does
    lines: list[str] = []
    owner = seed_user("owner")
    target = stack_target(stack, owner.login, owner.password, "totp")
    result = chiclet_login(target, extension, screenshot=tmp_path / "journey.png", say=lines.append)

    assert result.chiclets == sorted(a.label for a in stack.accounts.values())
    assert "Umbrella Cloud - Code step" in result.chiclets
    report = result.report
    assert report.broker_signin(stack.broker_url, stack.org_url) == "silent"
    assert report.granted
    assert report.filled == ["username", "password", "code"]
    assert report.other_fields == [], "nothing but the login's fields was filled"
    assert report.signed_in_as == f"Signed in as {stack.accounts['totp'].username}."
    assert report.last_launch is not None
    assert report.last_launch["outcome"] == "signed_in"
    releases = [a for a in result.audit if a.startswith(("credential.", "code."))]
    assert releases == ["credential.registered", "credential.released", "code.released"]
    assert result.screenshot.stat().st_size > 0
    stored = repr(extension_storage(extension))
    assert "'flow:" not in stored
    assert all(s.password not in stored for s in stack.sites)
    assert all(s.password not in line for s in stack.sites for line in lines)


def test_member_reaching_an_account_through_a_nested_collection_logs_in_from_the_dashboard(
    extension: LoadedExtension, fresh_page: Page, stack: Stack
) -> None:
    assert _signed_in(fresh_page, stack, seed_user("member")) == [
        stack.accounts["stepwise-js"].label
    ]
    report = click_chiclet(
        fresh_page,
        extension,
        stack.accounts["stepwise-js"].label,
        broker_url=stack.broker_url,
        site_origin=stack.sites_url,
    )
    assert report.signed_in_as == f"Signed in as {stack.accounts['stepwise-js'].username}."
    assert report.filled == ["username", "password"]


_JOURNEYS = journeys([site.key for site in SITES])


@pytest.mark.parametrize(
    "journey",
    [pytest.param(j, id=j.name, marks=[pytest.mark.journey] if j.long else []) for j in _JOURNEYS],
)
def test_journey(
    journey: Journey,
    extension: LoadedExtension,
    fresh_page: Page,
    stack: Stack,
    recorder: Recorder,
) -> None:
    """e2e.journey.journeys, in their order on one stack; `make e2e` runs the long ones too."""
    with recorder.journey(journey.name, extension.context, extension):
        journey.run(stack, extension, fresh_page)


def test_latchkey_demo_runs_one_chiclet_login_in_chromium(tmp_path: Path, chromium: str) -> None:
    # A process of its own, as a person runs it (and Playwright's sync API is one per thread).
    env = {k: v for k, v in os.environ.items() if not k.startswith("LATCHKEY_")}
    env.update(LATCHKEY_DATA_DIR=str(tmp_path), LATCHKEY_CHROMIUM=chromium)
    ports = ["--broker-port", "0", "--org-port", "0", "--sites-port", "0"]
    latchkey = Path(sys.executable).parent / "latchkey"

    done = subprocess.run(  # noqa: S603  (our own console script)
        [str(latchkey), "demo", *ports], env=env, capture_output=True, text=True, timeout=120
    )

    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "org dashboard: 5 chiclets" in out
    assert 'clicked "Umbrella Cloud - Code step"' in out
    assert "broker sign-in with Okta: silent" in out
    assert "launch granted" in out
    assert "extension filled username/password/code" in out
    assert 'site says "Signed in as ' in out
    shot = tmp_path / "journey.png"
    assert f"Screenshot: {shot}" in out
    assert shot.stat().st_size > 0
    assert "Stopped the broker, the sandbox org and the demo sites." in out
    tables = [line for line in out.splitlines() if line[:1] in "┏┃┡│└━"]
    assert tables, "the tour prints its tables"
    assert max(len(line) for line in tables) <= 100, "the tour's tables fit in 100 columns"
    for site in json.loads((tmp_path / "demo-sites.json").read_text()):
        assert site["password"] not in out + done.stderr  # no vault password is ever printed
