"""The broker's pages and the extension's popup and options as a person meets them (issue 13):
sign-in that comes back to the page asked for, honest sync states, one-shot messages, stale tabs
and the Back button, Settings, dangerous buttons, error pages, a 375 px phone, the launch page
with and without a configured extension, and the first run. axe-core checks every page state.

One module-scoped stack (sandbox org, demo sites, a broker provisioned over SCIM, its accounts
extended and synced) serves every test; each test signs its person in through the org.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, ViewportSize, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from broker.db import transaction
from broker.models import AuditEvent
from broker.services import workspaces
from broker.web.app import create_app
from e2e.axe import assert_accessible
from e2e.broker import RunningBroker
from e2e.browser import LoadedExtension
from e2e.journey.stack import Stack, StackConfig, serve_stack
from e2e.journey.user import configure_extension, sign_in_to_org, sign_out_everywhere
from sandbox.seed import seed_user
from sandbox.serve import serve

PHONE: ViewportSize = {"width": 375, "height": 740}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Iterator[Stack]:
    config = StackConfig(tmp_path_factory.mktemp("pages"), broker_port=0, org_port=0, sites_port=0)
    with serve_stack(config) as running:
        yield running


@pytest.fixture
def person(extension: LoadedExtension, stack: Stack) -> Iterator[Page]:
    """A new person at the browser: extension signed out and pointed at this broker, no cookies."""
    page = extension.context.new_page()
    sign_out_everywhere(extension, page)
    configure_extension(extension, page, stack.broker_url)
    yield page
    page.set_viewport_size({"width": 1280, "height": 800})
    page.close()


def sign_in(page: Page, stack: Stack, key: str, path: str = "/") -> None:
    """Sign in to the org, then to the broker through Okta, arriving at `path`."""
    user = seed_user(key)
    sign_in_to_org(page, stack.dashboard_url, user.login, user.password)
    page.goto(f"{stack.broker_url}/auth/login?next={path}")
    expect(page).to_have_url(f"{stack.broker_url}{path}")


def account_path(stack: Stack, site: str) -> str:
    return f"/accounts/{stack.accounts[site].account_id}"


def flash(page: Page) -> str:
    return page.locator("#flash").inner_text()


def set_token_refused(stack: Stack, refused: bool) -> None:
    with transaction(stack.broker.sessions) as db:
        workspaces.record_token_check(
            db,
            stack.demo.workspace_id,
            ok=not refused,
            error="401 E0000011: Invalid token provided" if refused else None,
        )


# 1 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "path"), [("admin", "/settings"), ("owner", "ACCOUNT")])
def test_sign_in_returns_to_the_page_asked_for(
    person: Page, stack: Stack, key: str, path: str
) -> None:
    path = account_path(stack, "single") if path == "ACCOUNT" else path
    user = seed_user(key)
    sign_in_to_org(person, stack.dashboard_url, user.login, user.password)

    person.goto(f"{stack.broker_url}{path}")
    expect(person.locator("h1")).to_have_text("Sign in to continue")
    assert_accessible(person, "sign-in needed")
    person.click("#signin-link")

    expect(person).to_have_url(f"{stack.broker_url}{path}")
    expect(person.locator("header nav")).to_contain_text("My Profile")


def test_sign_in_ignores_a_target_that_is_not_ours(person: Page, stack: Stack) -> None:
    user = seed_user("owner")
    sign_in_to_org(person, stack.dashboard_url, user.login, user.password)

    person.goto(f"{stack.broker_url}/auth/login?next=//{stack.sites_url.split('//')[1]}/")

    expect(person).to_have_url(f"{stack.broker_url}/")


# 2 and 3 -------------------------------------------------------------------------------------


def test_a_refused_token_says_syncing_is_paused_and_shows_pending(
    person: Page, stack: Stack
) -> None:
    sign_in(person, stack, "owner", account_path(stack, "stepwise"))
    expect(person.locator("#sync-state")).to_have_attribute("data-state", "synced")
    set_token_refused(stack, True)
    try:
        person.reload()
        # The owner is a workspace Owner too: pointed at Settings, where the token is fixed.
        expect(person.locator("#sync-paused")).to_contain_text(
            "Syncing is paused: Okta refused the API token."
        )
        expect(person.locator("#sync-paused a")).to_have_attribute("href", "/settings")
        expect(person.locator("#sync-state")).to_have_attribute("data-state", "pending")
        assert_accessible(person, "account page, syncing paused")
        person.context.clear_cookies()
        sign_in(person, stack, "member", "/profile")
        expect(person.locator("#sync-paused")).to_have_text(
            "Syncing is paused: the Okta API token needs updating (ask an Admin)."
        )
        assert_accessible(person, "My Profile, syncing paused")
    finally:
        set_token_refused(stack, False)


def test_sync_with_okta_shows_its_message_once_and_never_from_the_url(
    person: Page, stack: Stack
) -> None:
    sign_in(person, stack, "owner", "/profile")
    expect(person.locator("#flash")).to_have_count(0)  # no empty box
    assert_accessible(person, "My Profile")

    person.click("button:text-is('Sync with Okta')")
    expect(person.locator("#flash.flash-success")).to_have_text(
        re.compile(r"\d+ extended accounts? queued for sync with Okta\.")
    )
    assert_accessible(person, "My Profile after Sync with Okta")
    person.reload()
    expect(person.locator("#flash")).to_have_count(0)
    person.goto(f"{stack.broker_url}/profile?queued=999&done=extended")
    expect(person.locator("#flash")).to_have_count(0)
    expect(person.locator("main")).not_to_contain_text("999")


def test_sync_with_okta_is_not_offered_to_a_member_who_owns_nothing_extended(
    person: Page, stack: Stack
) -> None:
    sign_in(person, stack, "collab", "/profile")

    expect(person.locator("button:text-is('Sync with Okta')")).to_have_count(0)
    expect(person.locator("#sync-help")).to_contain_text("You own no account")
    assert_accessible(person, "My Profile, nothing to sync")


# 4 and 6 -------------------------------------------------------------------------------------


def test_back_after_remove_says_what_is_true_and_offers_extend_again(
    person: Page, stack: Stack
) -> None:
    account = account_path(stack, "single")
    sign_in(person, stack, "owner", account)
    person.click("summary:text-is('More options')")
    assert_accessible(person, "account page, more options open")
    person.click("button:text-is('Remove from Okta')")
    expect(person.locator("#dialog-title")).to_have_text("Remove from Okta?")
    confirm, cancel = person.locator("#dialog-confirm"), person.locator("a:text-is('Cancel')")
    # Dangerous: red, and at the far end of the row from Cancel.
    assert confirm.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(164, 22, 26)"
    confirm_box, cancel_box = confirm.bounding_box(), cancel.bounding_box()
    assert confirm_box
    assert cancel_box
    assert confirm_box["x"] - (cancel_box["x"] + cancel_box["width"]) >= 32
    assert_accessible(person, "Remove from Okta? dialog")
    confirm.click()
    expect(person.locator("#flash.flash-success")).to_contain_text("being removed from Okta")
    expect(person.locator("#sync-state")).to_have_attribute("data-state", "removing")

    person.go_back()  # to the dialog: it no longer applies
    expect(person).to_have_url(f"{stack.broker_url}{account}")
    expect(person.locator("#flash.flash-error")).to_have_text(
        "This account is being removed from Okta."
    )
    expect(person.locator("main")).not_to_contain_text("does not allow it")
    assert_accessible(person, "account page after a stale Remove")

    expect(person.locator("button:text-is('Sync')")).to_have_count(0)
    person.click("button:text-is('Extend again')")
    expect(person.locator("#dialog-title")).to_have_text("Extend this account to Okta again?")
    person.click("#dialog-confirm")
    expect(person.locator("#sync-state")).to_have_attribute("data-state", "pending")
    stack.sync()


def test_a_remove_confirmed_in_an_old_tab_says_it_is_already_being_removed(
    person: Page, stack: Stack
) -> None:
    account = account_path(stack, "totp")
    sign_in(person, stack, "owner", f"{account}/remove")
    old_tab = person.context.new_page()
    try:
        old_tab.goto(f"{stack.broker_url}{account}/remove")
        person.click("#dialog-confirm")
        expect(person.locator("#sync-state")).to_have_attribute("data-state", "removing")

        old_tab.click("#dialog-confirm")  # the same dialog, in a tab opened earlier

        expect(old_tab).to_have_url(f"{stack.broker_url}{account}")
        expect(old_tab.locator("#flash.flash-error")).to_have_text(
            "This account is already being removed from Okta."
        )
        expect(old_tab.locator("#sync-state")).to_have_attribute("data-state", "removing")
        assert_accessible(old_tab, "account page after a second Remove")
    finally:
        old_tab.close()
    person.click("button:text-is('Extend again')")
    person.click("#dialog-confirm")
    expect(person.locator("#sync-state")).to_have_attribute("data-state", "pending")
    stack.sync()


def test_a_collaborator_is_told_to_ask_the_accounts_owner(person: Page, stack: Stack) -> None:
    account = account_path(stack, "single")
    sign_in(person, stack, "collab", account)
    expect(person.locator("main")).to_contain_text("Ask the account's Owner")

    person.goto(f"{stack.broker_url}{account}/remove")

    expect(person.locator("main")).to_contain_text("Ask the account's Owner")
    expect(person.locator("main")).not_to_contain_text("Ask a workspace Owner or Admin")
    expect(person.locator("a:text-is('Back to the account')")).to_have_attribute("href", account)
    assert_accessible(person, "not allowed for a Collaborator")


# 5 -------------------------------------------------------------------------------------------


def _connection_tests(stack: Stack) -> int:
    with stack.broker.sessions() as db:
        return db.query(AuditEvent).filter_by(action="settings.okta_connection_tested").count()


def test_settings_switch_and_test_connection_at_the_top(person: Page, stack: Stack) -> None:
    sign_in(person, stack, "admin", "/settings")
    switch = person.get_by_role("switch", name="Extend accounts to Okta")
    expect(switch).to_have_attribute("aria-checked", "true")
    expect(person.locator("#extended-state")).to_have_text("On")
    assert_accessible(person, "Settings")

    before = _connection_tests(stack)
    person.click("button:text-is('Test connection')")
    expect(person).to_have_url(f"{stack.broker_url}/settings")
    # Then what the token may do with Latchkey's own OIDC app (docs/admin.md).
    expect(person.locator("#flash.flash-success")).to_contain_text(
        "Connection OK: Okta accepted the API token. The token can read Latchkey's app"
    )
    top = person.locator("#flash").bounding_box()
    assert top is not None
    assert top["y"] < 200, "the answer is at the top, where the person is looking"
    assert_accessible(person, "Settings after Test connection")
    person.reload()
    expect(person.locator("#flash")).to_have_count(0)
    assert _connection_tests(stack) == before + 1, "a reload does not test again"


def test_settings_say_okta_errors_in_plain_words_and_catch_the_admin_console(
    person: Page, stack: Stack
) -> None:
    sign_in(person, stack, "admin", "/settings")
    real = stack.org.ctx.api_token
    person.fill("#okta_token", "00" + "x" * 40)
    person.click("button:text-is('Save token')")
    try:
        person.click("button:text-is('Test connection')")
        expect(person.locator("#flash.flash-error")).to_have_text(
            "Connection failed: Okta refused the token (401 E0000011). Enter a new API token."
        )
        expect(person.locator("#token-update")).to_be_visible()
        assert_accessible(person, "Settings, token refused")
    finally:
        person.fill("#okta_token", real)
        person.click("button:text-is('Update')")
        person.click("button:text-is('Test connection')")
        expect(person.locator("#flash.flash-success")).to_be_visible()

    person.fill("#okta_domain", "https://acme-admin.okta.com")
    person.click("button:text-is('Save domain')")
    expect(person.locator("#okta_domain-error")).to_contain_text("Admin Console")
    expect(person.locator("#okta_domain")).to_have_attribute("aria-invalid", "true")
    expect(person.locator("#use-org-url")).to_have_text("Use https://acme.okta.com")
    assert person.locator("#okta_domain").get_attribute("maxlength") == "255"
    assert_accessible(person, "Settings, Admin Console address")


def test_turn_off_is_dangerous_and_apart_from_cancel(person: Page, stack: Stack) -> None:
    sign_in(person, stack, "admin", "/settings")
    person.get_by_role("switch", name="Extend accounts to Okta").click()

    expect(person.locator("#dialog-title")).to_have_text("Turn off extended account access?")
    confirm = person.locator("#dialog-confirm")
    assert "danger" in (confirm.get_attribute("class") or "")
    assert_accessible(person, "Turn off dialog")
    person.click("a:text-is('Cancel')")
    expect(person).to_have_url(f"{stack.broker_url}/settings")


# 7 -------------------------------------------------------------------------------------------


def test_unknown_paths_and_wrong_methods_get_the_brokers_pages(person: Page, stack: Stack) -> None:
    sign_in(person, stack, "owner", "/")

    answer = person.goto(f"{stack.broker_url}/no/such/page")
    assert answer is not None
    assert answer.status == 404
    expect(person.locator("h1")).to_have_text("This page is not available")
    expect(person.locator("header nav")).to_contain_text("My Profile")
    assert_accessible(person, "404")

    answer = person.goto(f"{stack.broker_url}/profile/sync")
    assert answer is not None
    assert answer.status == 405
    expect(person.locator("h1")).to_have_text("This address is not a page to open")
    assert_accessible(person, "405")


def test_a_crash_gets_the_brokers_500_page(
    extension: LoadedExtension, broker: RunningBroker
) -> None:
    async def boom(request: Request) -> Response:
        raise RuntimeError("a bug")

    def make(_url: str) -> Starlette:
        app = create_app(broker.ctx)
        app.add_route("/boom", boom)
        return app

    page = extension.context.new_page()
    try:
        with serve(make) as url:
            answer = page.goto(f"{url}/boom")
            assert answer is not None
            assert answer.status == 500
            expect(page.locator("h1")).to_have_text("Something went wrong on Latchkey's side")
            expect(page.locator("main")).not_to_contain_text("a bug")
            expect(page.locator("main code")).to_have_text(re.compile(r"[0-9a-f]{16}"))
            assert_accessible(page, "500")
    finally:
        page.close()


# 8 -------------------------------------------------------------------------------------------


def test_every_page_fits_a_375_px_phone(person: Page, stack: Stack) -> None:
    sign_in(person, stack, "owner", "/")
    person.set_viewport_size(PHONE)
    account = account_path(stack, "totp")

    pages = ("/", "/profile", "/settings", "/members", account, f"{account}/remove", "/x")
    vault = ("/accounts", "/collections", "/teams", "/activity", "/import", "/profile/tokens")
    for path in (*pages, *vault):
        person.goto(f"{stack.broker_url}{path}")
        width = person.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width} px wide"
        expect(person.locator("header a.brand")).to_be_visible()
        assert_accessible(person, f"{path} at 375 px")


# 9 -------------------------------------------------------------------------------------------


def test_the_launch_page_says_signing_in_only_when_the_extension_took_the_grant(
    person: Page, stack: Stack
) -> None:
    sign_in(person, stack, "owner", "/")
    # The extension then sends this tab to the site's login: answering that navigation with 204
    # No Content keeps the launch page in the tab, as the extension left it, to be looked at.
    person.route(f"{stack.sites_url}/**", lambda route: route.fulfill(status=204))
    try:
        person.goto(stack.launch_url("single"))
        expect(person.locator("html")).to_have_attribute("data-latchkey-extension", "present")
        expect(person.locator("#latchkey-launch-status")).to_be_visible()
        expect(person.locator("#latchkey-get-extension")).to_be_hidden()
        assert_accessible(person, "launch page, extension signing in")
    finally:
        person.unroute_all(behavior="ignoreErrors")


def test_without_a_broker_url_the_launch_page_and_popup_point_to_options(
    extension: LoadedExtension, person: Page, stack: Stack
) -> None:
    sign_in(person, stack, "owner", "/")
    extension.worker.evaluate("chrome.storage.local.remove('brokerUrl')")
    extension.worker.evaluate(
        """async () => {
            for (let i = 0; i < 100; i++) {
                if (!(await chrome.scripting.getRegisteredContentScripts()).length) return;
                await new Promise((r) => setTimeout(r, 50));
            }
            throw new Error("the launch script stayed registered");
        }"""
    )

    person.goto(stack.launch_url("single"))
    person.wait_for_timeout(500)  # time the extension would have taken to mark the page
    expect(person.locator("#latchkey-get-extension")).to_be_visible()
    expect(person.locator("#latchkey-launch-status")).to_be_hidden()
    expect(person.locator("#this-broker-url")).to_have_text(stack.broker_url)
    assert person.locator("html").get_attribute("data-latchkey-extension") is None
    assert_accessible(person, "launch page, no extension")

    person.goto(extension.url("popup/popup.html"))
    expect(person.locator("#setup")).to_be_visible()
    expect(person.locator("#setup")).to_contain_text("Not set up yet")
    assert_accessible(person, "popup, first run")
    person.goto(extension.url("options/options.html"))
    expect(person.locator("#status")).to_contain_text("not set up yet")
    assert_accessible(person, "options, first run")


# 10 ------------------------------------------------------------------------------------------


def test_options_check_the_broker_answers_before_saving(
    extension: LoadedExtension, person: Page, stack: Stack
) -> None:
    person.goto(extension.url("options/options.html"))
    field, error = person.locator("#broker-url"), person.locator("#broker-url-error")
    cases = [
        ("ftp://latchkey.example.com", "Use an https:// address"),
        (stack.sites_url, "answered, but not as a Latchkey broker"),
        ("http://127.0.0.1:9", "No answer from http://127.0.0.1:9"),
    ]
    for value, said in cases:
        field.fill(value)
        person.click("#save")
        expect(error).to_contain_text(said)
        expect(field).to_have_attribute("aria-invalid", "true")
        assert "broker-url-error" in (field.get_attribute("aria-describedby") or "")
        assert_accessible(person, f"options, refused {value}")
    stored = extension.worker.evaluate("chrome.storage.local.get('brokerUrl')")
    assert stored["brokerUrl"] == stack.broker_url

    field.fill(stack.broker_url)
    person.click("#save")
    expect(person.locator("#status")).to_have_text("Saved.")
    expect(error).to_be_hidden()
    assert field.get_attribute("aria-invalid") is None
    assert_accessible(person, "options, saved")


def test_the_popup_forgets_the_last_launch_on_sign_out(
    extension: LoadedExtension, person: Page, stack: Stack
) -> None:
    sign_in(person, stack, "owner", "/")
    person.goto(extension.url("popup/popup.html"))
    person.click("#sign-in")
    expect(person.locator("#member")).to_contain_text("Signed in as")
    extension.worker.evaluate(
        "chrome.storage.session.set({lastLaunch: {account: 'Acme', startedAt: Date.now(),"
        " phase: 'done', outcome: 'signed_in', endedAt: Date.now()}})"
    )
    person.reload()
    expect(person.locator("#last-launch")).to_contain_text("Acme")
    assert_accessible(person, "popup, signed in")

    person.click("#sign-out")
    expect(person.locator("#member")).to_have_text("Not signed in.")
    expect(person.locator("#last-launch")).to_have_text("None yet.")
    assert_accessible(person, "popup, signed out")


def test_every_broker_page_is_accessible_to_every_role(person: Page, stack: Stack) -> None:
    for key, paths in (
        ("member", ("/", "/profile", "/settings", account_path(stack, "totp"))),
        ("loginonly", ("/", "/profile", account_path(stack, "stepwise"))),
    ):
        person.context.clear_cookies()
        sign_in(person, stack, key, "/")
        for path in paths:
            person.goto(f"{stack.broker_url}{path}")
            assert_accessible(person, f"{path} as {key}")
    person.goto(f"{stack.broker_url}/auth/logout")
    assert_accessible(person, "sign out?")
    person.click("main button:text-is('Sign out')")
    expect(person.locator("h1")).to_have_text("You are signed out of Latchkey")
    assert_accessible(person, "signed out")
