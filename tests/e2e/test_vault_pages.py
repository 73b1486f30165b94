"""The vault pages in real Chromium as each kind of member walks them: the accounts list, add
(code shown once), edit, sharing with the chiclet count, delete, My Profile and Activity, with
axe-core on every page (no serious or critical violation).

One plain Chromium for the module (the pages need no extension), a context per member, with the
member's broker session cookie set directly (sign-in has tests of its own).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from broker.db import transaction
from broker.models import Member
from broker.seed import LOGIN_ONLY, NESTED_USER, OWNER
from broker.services import extensions
from broker.sessions import SESSION_COOKIE
from e2e import axe
from e2e.broker import RunningBroker

ADMIN = "admin@example.com"
OUTSIDER = "outsider@example.com"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(scope="module")
def plain_chromium(playwright: Playwright, chromium: str) -> Iterator[Browser]:
    if axe.installed() is None:
        pytest.skip("axe-core is not installed (run make test-extension)")
    browser = playwright.chromium.launch(executable_path=chromium, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def as_member(plain_chromium: Browser, broker: RunningBroker) -> Iterator[Callable[[str], Page]]:
    """`as_member(email)`: a page whose browser is signed in to the broker as that member."""
    contexts = []

    def open_as(email: str) -> Page:
        context = plain_chromium.new_context(bypass_csp=True)  # for axe only; see e2e.axe
        context.add_cookies(
            [{"name": SESSION_COOKIE, "value": broker.open_session(email), "url": broker.url}]
        )
        contexts.append(context)
        return context.new_page()

    yield open_as
    for context in contexts:
        context.close()


def visit(page: Page, url: str) -> None:
    page.goto(url)
    axe.assert_accessible(page)


def test_an_owner_adds_checks_the_code_shares_edits_and_deletes(
    as_member: Callable[[str], Page], broker: RunningBroker
) -> None:
    page = as_member(OWNER)
    visit(page, broker.url + "/")
    expect(page.get_by_role("heading", name="Accounts", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Accounts", exact=True)).to_be_visible()
    page.get_by_role("link", name="Add account").click()
    axe.assert_accessible(page)

    page.get_by_label("Name", exact=True).fill("Vendor portal")
    page.get_by_label("App name").fill("Vendor")
    page.get_by_label("Login URL").fill("http://vendor.example/login")
    page.get_by_label("Username").fill("olivia@example.com")
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_label("Verification code secret (optional)").fill(SECRET)
    page.get_by_role("button", name="Add account").click()
    expect(page.get_by_role("alert").first).to_contain_text("Nothing was saved")
    expect(page.locator("#login_url-error")).to_contain_text("must use https")
    axe.assert_accessible(page)
    assert page.get_by_label("Password", exact=True).input_value() == ""  # never sent back

    page.get_by_label("Login URL").fill("https://vendor.example/login")
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_label("Verification code secret (optional)").fill(SECRET)
    page.get_by_role("button", name="Add account").click()
    expect(page.locator("#current-code")).to_have_text(re.compile(r"^\d{6}$"))
    assert SECRET not in page.content()
    axe.assert_accessible(page)
    page.get_by_role("link", name="Open Vendor portal").click()
    account_url = page.url
    expect(page.locator("#current-code")).to_have_count(0)
    axe.assert_accessible(page)

    page.get_by_role("link", name="Sharing").click()
    axe.assert_accessible(page)
    page.get_by_label("Member or team").select_option(label="Morgan Member <member@example.com>")
    page.get_by_label("Role").select_option("collaborator")
    page.get_by_role("button", name="Share", exact=True).click()
    expect(page.locator("#flash")).to_contain_text("Morgan Member is now Collaborator.")
    morgan = page.get_by_role("row", name=re.compile("Morgan Member")).first
    expect(morgan).to_contain_text("Direct")
    axe.assert_accessible(page)

    page.goto(account_url + "/edit")
    axe.assert_accessible(page)
    page.get_by_label("Name", exact=True).fill("Vendor portal (EU)")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#flash")).to_contain_text("The account is saved.")
    expect(page.get_by_role("heading", name="Vendor portal (EU)", level=1)).to_be_visible()

    page.goto(account_url + "/delete")
    expect(page.get_by_role("dialog")).to_contain_text("Delete “Vendor portal (EU)”?")
    axe.assert_accessible(page)
    page.get_by_role("button", name="Delete account").click()
    expect(page.locator("#flash")).to_contain_text("The account “Vendor portal (EU)” is deleted.")
    expect(page.get_by_role("link", name="Vendor portal (EU)")).to_have_count(0)


def test_sharing_an_extended_account_says_who_gets_the_chiclet_first(
    as_member: Callable[[str], Page], broker: RunningBroker
) -> None:
    account_id = broker.accounts[next(iter(broker.accounts))]
    with transaction(broker.ctx.sessions) as s:
        owner = s.get_one(Member, broker.demo.member_ids[OWNER])
        extensions.extend_account(s, owner, account_id)
    page = as_member(OWNER)
    visit(page, f"{broker.url}/accounts/{account_id}/sharing")
    expect(page.locator("#extended-note")).to_contain_text("extended to Okta")

    page.get_by_label("Member or team").select_option(label="Oscar Outsider <outsider@example.com>")
    page.get_by_role("button", name="Share", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("1 person will get this chiclet on their Okta dashboard.")
    axe.assert_accessible(page)
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("row", name=re.compile("Oscar Outsider"))).to_have_count(0)

    visit(page, broker.url + "/profile")
    expect(page.locator(f"#extended-{account_id}")).to_contain_text("Extended · Pending")


def test_what_an_admin_a_collaborator_a_login_only_member_and_an_outsider_get(
    as_member: Callable[[str], Page], broker: RunningBroker
) -> None:
    owned = broker.accounts[next(iter(broker.accounts))]

    admin = as_member(ADMIN)
    visit(admin, broker.url + "/accounts")
    expect(admin.get_by_text("No account is shared with you yet.")).to_be_visible()
    visit(admin, broker.url + "/activity")
    expect(admin.get_by_role("table")).to_contain_text("share.granted")
    admin.get_by_label("Kind").select_option("share")
    admin.get_by_role("button", name="Show").click()
    expect(admin.get_by_role("table")).not_to_contain_text("account.created")
    axe.assert_accessible(admin)

    collaborator = as_member(NESTED_USER)  # reaches the code-step account through collections
    visit(collaborator, broker.url + "/accounts")
    rows = collaborator.get_by_role("row")
    expect(rows.filter(has_text="Collaborator").first).to_be_visible()
    collaborator.get_by_role("table").get_by_role("link").first.click()
    expect(collaborator.get_by_role("link", name="Edit")).to_have_count(0)
    collaborator.get_by_role("link", name="Sharing").click()
    expect(collaborator.get_by_role("button", name="Share", exact=True)).to_have_count(0)
    expect(collaborator.locator("body")).to_contain_text("through collection")
    axe.assert_accessible(collaborator)

    login_only = as_member(LOGIN_ONLY)
    visit(login_only, broker.url + "/accounts")
    expect(login_only.get_by_role("table").get_by_role("link")).to_have_count(0)
    expect(login_only.get_by_role("link", name="Add account")).to_have_count(0)
    expect(login_only.get_by_role("link", name="Activity")).to_have_count(0)
    response = login_only.goto(broker.url + "/activity")
    assert response is not None
    assert response.status == 403

    outsider = as_member(OUTSIDER)
    response = outsider.goto(f"{broker.url}/accounts/{owned}/sharing")
    assert response is not None
    assert response.status == 404
    axe.assert_accessible(outsider)
    visit(outsider, broker.url + "/activity")
    expect(outsider.get_by_text("No event matches.")).to_be_visible()
