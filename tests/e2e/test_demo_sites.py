"""The extension's login engine (lib/: flow, page, fields, fill) in Chromium on the sandbox demo
sites, with the test playing the background's part (e2e.driver): every site logs in, codes
included; look-alikes, other ports, a redirect away and wrong credentials get nothing more."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from e2e.driver import LoginRun, run_login
from sandbox.apps import SITES, SiteSeed
from sandbox.apps.totp import decode_secret, totp
from tests.e2e.conftest import DemoSites


def _launch(demo: DemoSites, account: SiteSeed, **changes: Any) -> dict[str, Any]:
    return {
        "tabId": 1,
        "origin": demo.origin,
        "username": account.username,
        "password": account.password,
        "hasCode": account.totp_secret is not None,
        "ticket": "ticket-not-used-here",
        **changes,
    }


def _code(account: SiteSeed) -> str:
    assert account.totp_secret is not None
    return totp(decode_secret(account.totp_secret), time.time())


def _captured(lookalike: str) -> list[dict[str, Any]]:
    submissions: list[dict[str, Any]] = httpx.get(f"{lookalike}/_captured").json()["submissions"]
    return submissions


@pytest.fixture(autouse=True)
def _fresh_browser_state(page: Page) -> None:
    page.context.clear_cookies()


@pytest.mark.parametrize("site", [s.key for s in SITES])
def test_every_demo_site_logs_in(page: Page, demo: DemoSites, lib_url: str, site: str) -> None:
    account = demo.accounts[site]
    page.goto(account.login_url(demo.url))
    run = run_login(page, lib_url, _launch(demo, account), code_for=lambda: _code(account))
    assert (run.phase, run.state["outcome"]) == ("done", "signed_in"), run.trace
    assert run.state["secrets"] is None
    expect(page.locator("#signed-in-as")).to_contain_text(account.username)


def test_stepwise_login_goes_through_each_step(page: Page, demo: DemoSites, lib_url: str) -> None:
    account = demo.accounts["totp-split"]
    page.goto(account.login_url(demo.url))
    run = run_login(page, lib_url, _launch(demo, account), code_for=lambda: _code(account))
    assert run.trace == [
        ("awaiting_password", ["fill:username", "submit:username"]),
        ("submitted", ["fill:password", "submit:password"]),
        ("submitted", ["fill:code", "submit:code"]),
        ("done", ["wipe:"]),
    ]


def test_wrong_password_ends_the_flow_as_rejected(
    page: Page, demo: DemoSites, lib_url: str
) -> None:
    account = demo.accounts["single"]
    page.goto(account.login_url(demo.url))
    run = run_login(page, lib_url, _launch(demo, account, password="not-the-password"))
    assert (run.phase, run.state["outcome"]) == ("failed", "rejected")


@pytest.mark.parametrize("site", ["single", "stepwise", "totp-split"])
def test_lookalike_on_another_port_gets_nothing(
    page: Page, demo: DemoSites, lookalike: str, lib_url: str, site: str
) -> None:
    httpx.delete(f"{lookalike}/_captured")
    account = demo.accounts[site]
    page.goto(account.login_url(lookalike))  # same pages, same paths, another origin
    run = run_login(page, lib_url, _launch(demo, account))
    assert (run.phase, run.state["outcome"]) == ("failed", "left_origin")
    assert run.trace == [("failed", ["wipe:"])]
    values = page.evaluate("() => [...document.querySelectorAll('input')].map(i => i.value)")
    assert account.password not in values
    assert page.evaluate(
        "() => [...document.querySelectorAll('input[type=password]')].every(i => i.value === '')"
    )
    assert _captured(lookalike) == []


def test_perform_refuses_a_lookalike_even_when_told_to_fill(
    page: Page, demo: DemoSites, lookalike: str, lib_url: str
) -> None:
    # The agent's own re-check, should a wrong instruction ever reach it.
    httpx.delete(f"{lookalike}/_captured")
    account = demo.accounts["single"]
    page.goto(account.login_url(lookalike))
    run = run_login(page, lib_url, _launch(demo, account), max_rounds=0)
    assert run.phase == "awaiting_username"
    for action in (
        {"type": "fill", "field": "password", "value": account.password},
        {"type": "submit", "field": "password"},
    ):
        outcome = page.evaluate(
            "([a, o]) => window.__latchkeyTest.perform(a, o)", [action, demo.origin]
        )
        assert outcome == {"ok": False, "reason": "origin_mismatch"}
    assert page.input_value("#password") == ""
    page.wait_for_timeout(200)
    assert _captured(lookalike) == []


def test_redirect_away_mid_flow_stops_before_the_password(
    page: Page, demo: DemoSites, lookalike: str, lib_url: str
) -> None:
    httpx.delete(f"{lookalike}/_captured")
    account = demo.accounts["stepwise"]
    page.goto(account.login_url(demo.url))
    first = run_login(page, lib_url, _launch(demo, account), max_rounds=1)
    assert first.phase == "awaiting_password"
    # The site (or an attacker on the path) sends the tab to another origin's password page.
    page.goto(f"{lookalike}/stepwise/login/password")
    resumed = LoginRun(first.state)
    run = run_login(page, lib_url, _launch(demo, account), resume=resumed)
    assert (run.phase, run.state["outcome"]) == ("failed", "left_origin")
    assert page.input_value("#passwd") == ""
    assert _captured(lookalike) == []


def test_honeypot_stays_empty_on_the_way_in(page: Page, demo: DemoSites, lib_url: str) -> None:
    account = demo.accounts["single"]
    page.goto(account.login_url(demo.url))
    page.evaluate(
        """() => {
          window.__honeypot = null;
          document.getElementById("login-form").addEventListener("submit", () => {
            window.__honeypot = document.getElementById("email_confirm").value;
          }, {once: true});
        }"""
    )
    run = run_login(page, lib_url, _launch(demo, account), max_rounds=1)
    assert run.phase == "submitted"
    # The site rejects a filled honeypot, so signing in proves it stayed empty.
    run = run_login(page, lib_url, _launch(demo, account), resume=run)
    assert run.phase == "done"
