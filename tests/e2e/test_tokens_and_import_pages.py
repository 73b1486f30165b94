"""The API tokens page and the import page in Chromium, as the Owner, an Admin, a member, a
Login-only member and a signed-out visitor would use them, each page checked with axe-core
(no serious or critical violation)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from broker.seed import LOGIN_ONLY, OWNER, TEAM_USER
from e2e.broker import RunningBroker

AXE = Path(__file__).parents[2] / "extension" / "node_modules" / "axe-core" / "axe.min.js"
ADMIN = "admin@example.com"


def assert_accessible(page: Page) -> None:
    """axe-core over the page: no serious or critical violation of WCAG 2 A/AA.

    Injected through the DevTools protocol (`evaluate`), since the broker's pages allow no
    script at all (CSP `script-src 'none'`)."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed (run `make test-extension`)")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        })).violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))"""
    )
    bad = [v for v in found if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{page.url}: {bad}"


def sign_in_as(page: Page, broker: RunningBroker, email: str) -> None:
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "latchkey_session", "value": broker.open_session(email), "url": broker.url}]
    )


def test_the_owner_creates_a_token_sees_it_once_and_revokes_it(
    page: Page, broker: RunningBroker
) -> None:
    sign_in_as(page, broker, OWNER)
    page.goto(f"{broker.url}/profile")
    page.get_by_role("link", name="Manage your API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("textbox", name="Name", exact=True).fill("nightly import")
    page.get_by_role("button", name="Create token").click()

    token = page.get_by_role("textbox", name="Token", exact=True).input_value()
    assert token.startswith("lk_")
    expect(page.get_by_text("it is shown this once")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{broker.url}/profile/tokens")
    assert token not in page.content()
    row = page.get_by_role("row", name="nightly import")
    expect(row).to_contain_text("Active")
    row.get_by_role("button", name="Revoke nightly import").click()
    expect(page.get_by_role("status")).to_contain_text("“nightly import” is revoked")
    expect(page.get_by_role("row", name="nightly import")).to_contain_text("Revoked")
    assert_accessible(page)


def test_a_member_previews_and_imports_a_chrome_export(
    page: Page, broker: RunningBroker, tmp_path: Path
) -> None:
    export = tmp_path / "Chrome Passwords.csv"
    export.write_bytes(
        "\ufeffname,url,username,password,note\r\n"
        'Zoë\'s wiki,https://wiki.example/login,zoe,"pa,ss""1",\r\n'
        'Tracker,https://tracker.example/,zoe,tr-pw,"a, note"\r\n'.encode()
    )
    sign_in_as(page, broker, TEAM_USER)
    page.goto(f"{broker.url}/profile")
    page.get_by_role("navigation").get_by_role("link", name="Import").click()
    assert_accessible(page)

    page.get_by_label("Export file").set_input_files(export)
    page.get_by_label("Format").select_option("chrome-csv")
    page.get_by_label("Collection (optional)").fill("From Chrome")
    page.get_by_role("button", name="Preview").click()

    expect(page.locator("#preview-verdict")).to_contain_text("It would import 2")
    expect(page.get_by_role("row", name="Zoë's wiki")).to_contain_text("New")
    assert "tr-pw" not in page.content()
    assert_accessible(page)

    page.get_by_label("Export file").set_input_files(export)
    page.get_by_role("button", name="Import").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Imported 2, updated 0 and skipped 0 from the Chrome CSV file."
    )
    assert_accessible(page)


def test_a_bad_row_is_shown_with_its_line_and_nothing_can_be_confirmed(
    page: Page, broker: RunningBroker, tmp_path: Path
) -> None:
    export = tmp_path / "bad.csv"
    export.write_text("name,url,username,password\nOld,http://old.example/,u,p\n")
    sign_in_as(page, broker, ADMIN)
    page.goto(f"{broker.url}/import")
    page.get_by_label("Export file").set_input_files(export)
    page.get_by_label("Format").select_option("chrome-csv")
    page.get_by_role("button", name="Preview").click()

    expect(page.get_by_role("alert")).to_contain_text("1 bad row")
    expect(page.get_by_role("row", name="line 2")).to_contain_text("must use https")
    expect(page.get_by_role("button", name="Import")).to_have_count(0)
    assert_accessible(page)


@pytest.mark.parametrize("email", [LOGIN_ONLY, None])
def test_login_only_members_and_visitors_get_neither_page(
    page: Page, broker: RunningBroker, email: str | None
) -> None:
    if email:
        sign_in_as(page, broker, email)
    else:
        page.context.clear_cookies()

    page.goto(f"{broker.url}/profile")
    expect(page.get_by_role("link", name="Import")).to_have_count(0)
    expect(page.get_by_role("link", name="Manage your API tokens")).to_have_count(0)
    for path in ("/import", "/profile/tokens"):
        answer = page.goto(f"{broker.url}{path}")
        assert answer is not None
        assert answer.status == (403 if email else 401)
        assert_accessible(page)
