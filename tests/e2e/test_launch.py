"""The whole launch in Chromium with the real extension and a real broker: a chiclet's launch URL
opens the broker's launch page, the extension redeems its grant and logs in to the demo site,
fetching the code from the broker when asked. Replayed grants, another member's grant and a
blocked launch open nothing and fill nothing."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from broker.seed import NESTED_USER, OWNER, TEAM_USER
from e2e.broker import RunningBroker
from e2e.browser import LoadedExtension
from e2e.launches import (
    known_launch_ids,
    launch,
    wait_for_new_launch,
    wait_for_outcome,
    wait_for_phase,
)
from sandbox.apps import SITES
from tests.e2e.conftest import DemoSites, session_storage

_GRANT = re.compile(r'<meta name="latchkey-grant" content="([^"]+)">')


def _grant_for(broker: RunningBroker, email: str, site: str) -> str:
    """A fresh grant from the launch page as `email` would get it."""
    token = broker.open_session(email)
    page = httpx.get(broker.launch_url(site), cookies={"latchkey_session": token})
    assert page.status_code == 200
    found = _GRANT.search(page.text)
    assert found is not None
    return found.group(1)


def _serve_launch_page_with(page: Page, launch_url: str, grant: str) -> None:
    """Answer the next load of `launch_url` with a launch page carrying `grant`."""
    real = httpx.get(launch_url, cookies={c["name"]: c["value"] for c in page.context.cookies()})
    body = _GRANT.sub(f'<meta name="latchkey-grant" content="{grant}">', real.text)

    def fulfil(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body)

    page.route(launch_url, fulfil, times=1)


@pytest.mark.parametrize("site", [s.key for s in SITES])
def test_launch_logs_in_to_every_demo_site(
    extension: LoadedExtension, signed_in: Page, broker: RunningBroker, demo: DemoSites, site: str
) -> None:
    account = demo.accounts[site]
    last = launch(signed_in, extension, broker.launch_url(site))
    expect(signed_in.locator("#signed-in-as")).to_contain_text(account.username)
    assert (last["phase"], last["outcome"]) == ("done", "signed_in")
    stored = session_storage(extension)
    assert not any(key.startswith("flow:") for key in stored), "the flow ended and was dropped"
    assert account.password not in repr(stored)


def test_replayed_grant_opens_nothing(
    extension: LoadedExtension, signed_in: Page, broker: RunningBroker
) -> None:
    grant = _grant_for(broker, OWNER, "single")
    launch_url = broker.launch_url("single")
    for attempt in ("first", "replay"):
        signed_in.context.clear_cookies()
        signed_in.context.add_cookies(
            [{"name": "latchkey_session", "value": broker.open_session(OWNER), "url": broker.url}]
        )
        _serve_launch_page_with(signed_in, launch_url, grant)
        last = launch(signed_in, extension, launch_url)
        if attempt == "first":
            assert last["outcome"] == "signed_in"
    assert (last["outcome"], last["reason"]) == ("launch_refused", "invalid_grant")
    assert signed_in.url == launch_url, "the tab stayed on the launch page"
    expect(signed_in.locator("#latchkey-launch-status")).to_contain_text("Launch the account")


def test_another_members_grant_opens_nothing(
    extension: LoadedExtension, signed_in: Page, broker: RunningBroker
) -> None:
    grant = _grant_for(broker, TEAM_USER, "single")  # someone else who may launch it
    launch_url = broker.launch_url("single")
    _serve_launch_page_with(signed_in, launch_url, grant)
    last = launch(signed_in, extension, launch_url)
    assert (last["outcome"], last["reason"]) == ("launch_refused", "invalid_grant")
    assert signed_in.url == launch_url
    assert not any(key.startswith("flow:") for key in session_storage(extension))


def test_blocked_launch_shows_the_broker_page_and_opens_nothing(
    extension: LoadedExtension, signed_in: Page, broker: RunningBroker
) -> None:
    signed_in.context.clear_cookies()
    signed_in.context.add_cookies(
        [{"name": "latchkey_session", "value": broker.open_session(NESTED_USER), "url": broker.url}]
    )
    response = signed_in.goto(broker.launch_url("single"))  # not shared with this member
    assert response is not None
    assert response.status == 403
    signed_in.wait_for_timeout(500)
    assert signed_in.url == broker.launch_url("single")
    assert signed_in.locator("html").get_attribute("data-latchkey-extension") is None
    assert not any(key.startswith("flow:") for key in session_storage(extension))


def _hold(page: Page, url: str) -> list[Route]:
    """Keep the next request for `url` waiting until the test lets it through."""
    held: list[Route] = []

    def keep(route: Route) -> None:
        held.append(route)

    page.route(url, keep, times=1)
    return held


def _wait_until_held(page: Page, held: list[Route]) -> None:
    for _ in range(100):
        if held:
            return
        page.wait_for_timeout(50)  # lets Playwright dispatch the route handler
    raise AssertionError("the held request never came")


def test_redirect_away_mid_flow_fills_nothing_there(
    extension: LoadedExtension,
    signed_in: Page,
    broker: RunningBroker,
    demo: DemoSites,
    lookalike: str,
) -> None:
    httpx.delete(f"{lookalike}/_captured")
    # After the username step the site sends the browser to another origin's password page.
    signed_in.route(
        f"{demo.url}/stepwise/login/password",
        lambda route: route.fulfill(
            status=303, headers={"Location": f"{lookalike}/stepwise/login/password"}
        ),
        times=1,
    )
    last = launch(signed_in, extension, broker.launch_url("stepwise"))
    assert (last["phase"], last["outcome"]) == ("failed", "left_origin")
    expect(signed_in).to_have_url(f"{lookalike}/stepwise/login/password")
    signed_in.wait_for_timeout(1500)  # an agent, had one been let in, would have acted by now
    assert signed_in.input_value("#passwd") == ""
    assert httpx.get(f"{lookalike}/_captured").json()["submissions"] == []
    assert demo.accounts["stepwise"].password not in repr(session_storage(extension))


def test_closing_the_tab_mid_flow_wipes_the_secrets(
    extension: LoadedExtension, signed_in: Page, broker: RunningBroker, demo: DemoSites
) -> None:
    held = _hold(signed_in, f"{demo.url}/stepwise/login/password")
    known = known_launch_ids(extension)
    signed_in.goto(broker.launch_url("stepwise"))
    launch_id = str(wait_for_new_launch(extension, known)["launchId"])
    # The password step is on screen or its POST is held: mid-flow either way, secrets in hand.
    wait_for_phase(extension, launch_id, ("awaiting_password", "submitted"))
    assert any(key.startswith("flow:") for key in session_storage(extension))
    _wait_until_held(signed_in, held)
    signed_in.close()
    last = wait_for_outcome(extension, launch_id)
    assert (last["phase"], last["outcome"]) == ("failed", "tab_closed")
    stored = session_storage(extension)
    assert not any(key.startswith("flow:") for key in stored)
    assert demo.accounts["stepwise"].password not in repr(stored)


def test_another_tab_on_the_same_site_gets_nothing(
    extension: LoadedExtension, signed_in: Page, broker: RunningBroker, demo: DemoSites
) -> None:
    held = _hold(signed_in, f"{demo.url}/stepwise/login/password")
    known = known_launch_ids(extension)
    signed_in.goto(broker.launch_url("stepwise"))
    launch_id = str(wait_for_new_launch(extension, known)["launchId"])
    # The password step is on screen or its POST is held: mid-flow either way, secrets in hand.
    wait_for_phase(extension, launch_id, ("awaiting_password", "submitted"))
    _wait_until_held(signed_in, held)
    # A tab the extension did not open, on the very origin the login runs on.
    other = signed_in.context.new_page()
    try:
        other.goto(demo.accounts["single"].login_url(demo.url))
        other.wait_for_timeout(1500)
        assert other.input_value("#username") == ""
        assert other.input_value("#password") == ""
    finally:
        other.close()
        signed_in.close()


def test_popup_shows_the_member_and_the_last_launch_then_signs_out(
    extension: LoadedExtension, signed_in: Page, broker: RunningBroker, demo: DemoSites
) -> None:
    assert launch(signed_in, extension, broker.launch_url("single"))["outcome"] == "signed_in"
    popup = signed_in.context.new_page()
    try:
        popup.goto(extension.url("popup/popup.html"))
        expect(popup.locator("#member")).to_have_text("Signed in as Olivia Owner")
        expect(popup.locator("#last-launch")).to_contain_text(f"{demo.accounts['single'].name}")
        expect(popup.locator("#last-launch")).to_contain_text("signed in.")
        popup.click("#sign-out")
        expect(popup.locator("#member")).to_have_text("Not signed in.")
        assert "session" not in session_storage(extension)
    finally:
        popup.close()
