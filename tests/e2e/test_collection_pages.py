"""Collections and teams in real Chromium, walked as the Owner, an Admin, a Collaborator, a
Login-only member and an outsider (what each sees and may do), every page checked with axe-core
(no serious or critical violation), and a collection extended → synced → a chiclet for each of
its accounts on the sandbox org's dashboard.

One stack for the module (`serve_stack`: sandbox org, demo sites, broker, SCIM-provisioned
people, the demo accounts extended and synced); this module adds a collection of new accounts
that are not in Okta yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from broker import sessions
from broker.db import transaction
from broker.models import ItemRole
from broker.seed import LOGIN_ONLY, OWNER, TEAM_USER
from broker.services import accounts, collections, shares
from broker.services.shares import Subject, Target
from e2e.browser import LoadedExtension
from e2e.journey.stack import Stack, StackConfig, serve_stack
from e2e.journey.user import sign_in_to_org
from sandbox.seed import seed_user

ADMIN = "admin@example.com"
OUTSIDER = "outsider@example.com"
AXE = Path(__file__).parents[2] / "extension" / "node_modules" / "axe-core" / "axe.min.js"


@dataclass(frozen=True)
class Scene:
    stack: Stack
    collection_id: str
    nested_id: str
    labels: list[str]  # the chiclet labels the collection's accounts get in Okta


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Iterator[Scene]:
    config = StackConfig(
        tmp_path_factory.mktemp("collections"), broker_port=0, org_port=0, sites_port=0
    )
    with serve_stack(config) as stack:
        ctx, ids = stack.broker, stack.demo.member_ids
        ws = stack.demo.workspace_id
        with transaction(ctx.sessions) as db:
            top = collections.create_collection(db, ws, "Shared logins")
            nested = collections.create_collection(db, ws, "Nested logins", parent_id=top.id)
            made = []
            for n, holder in ((1, top), (2, nested)):
                account = accounts.create_account(
                    db,
                    ws,
                    accounts.AccountInput(
                        name=f"Team login {n}",
                        app_name="Single page",
                        login_url=f"{stack.sites_url}/single/login",
                        username=f"team{n}",
                        password=f"team-pass-{n}",
                    ),
                    vault=ctx.vault,
                )
                collections.add_account(db, ws, holder.id, account.id)
                made.append(account)
            owner_share = (Subject(member_id=ids[OWNER]), ItemRole.OWNER)
            for who, role in (
                owner_share,
                (Subject(member_id=ids[TEAM_USER]), ItemRole.COLLABORATOR),
                (Subject(member_id=ids[LOGIN_ONLY]), ItemRole.COLLABORATOR),
            ):
                shares.share(db, ws, who, Target(collection_id=top.id), role)
        labels = sorted(f"{a.name} - {a.app_name}" for a in made)
        yield Scene(stack, top.id, nested.id, labels)


@pytest.fixture
def browser_page(extension: LoadedExtension) -> Iterator[Page]:
    page = extension.context.new_page()
    page.context.clear_cookies()
    yield page
    page.close()


def _as(page: Page, scene: Scene, email: str) -> Page:
    """The person signed in to the broker (a session of their own, as after Okta sign-in)."""
    with transaction(scene.stack.broker.sessions) as db:
        token, _row = sessions.open_session(db, scene.stack.demo.member_ids[email], ttl_s=3600)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "latchkey_session", "value": token, "url": scene.stack.broker_url}]
    )
    return page


def _open(page: Page, scene: Scene, path: str) -> int:
    answer = page.goto(scene.stack.broker_url + path)
    assert answer is not None
    return answer.status


def axe_check(page: Page) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `make test-extension`")
    # Evaluated through the DevTools protocol: the pages' CSP (script-src 'none') rightly
    # refuses any <script> we could add.
    page.evaluate(AXE.read_text() + "\n;undefined")
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target).join(", ")}`);
        }"""
    )
    assert found == [], f"{page.url}: {found}"


def test_the_owner_extends_the_collection_and_sync_puts_every_account_on_the_dashboard(
    browser_page: Page, scene: Scene
) -> None:
    page = _as(browser_page, scene, OWNER)
    assert _open(page, scene, "/collections") == 200
    axe_check(page)
    page.get_by_role("link", name="Shared logins").click()
    expect(page.locator("h1")).to_have_text("Shared logins")
    expect(page.locator("#okta-count")).to_contain_text("0 of 2")
    axe_check(page)

    page.get_by_role("button", name="Sync", exact=True).click()
    expect(page.locator("#dialog-title")).to_have_text("Extend your collection to Okta?")
    axe_check(page)
    page.get_by_role("button", name="Extend collection").click()
    expect(page.locator(".flash")).to_contain_text("2 accounts show pending")
    expect(page.locator("#accounts td[data-state=pending]")).to_have_count(1)
    axe_check(page)

    tally = scene.stack.sync()
    assert tally.apps_created == 2

    page.reload()
    expect(page.locator("#accounts td[data-state=synced]")).to_have_count(1)
    expect(page.locator("#okta-count")).to_contain_text("2 of 2")
    page.get_by_role("link", name="Nested logins").click()
    expect(page.locator("#accounts td[data-state=synced]")).to_have_count(1)
    expect(page.locator("#collection-okta-state")).to_contain_text("above this one is extended")

    for who in ("owner", "collab"):
        person = seed_user(who)
        page.context.clear_cookies()
        shown = sign_in_to_org(page, scene.stack.dashboard_url, person.login, person.password)
        assert set(scene.labels) <= set(shown), (who, shown)
    login_only = seed_user("loginonly")
    page.context.clear_cookies()
    shown = sign_in_to_org(page, scene.stack.dashboard_url, login_only.login, login_only.password)
    assert not set(scene.labels) & set(shown), "Login-only members never get the chiclet"


def test_the_owner_makes_a_sub_collection_and_is_told_a_move_under_itself_is_refused(
    browser_page: Page, scene: Scene
) -> None:
    page = _as(browser_page, scene, OWNER)
    _open(page, scene, f"/collections/new?parent={scene.collection_id}")
    axe_check(page)
    page.get_by_label("Name").fill("Made in the browser")
    page.get_by_role("button", name="Create collection").click()
    expect(page.locator(".flash")).to_contain_text("“Made in the browser” is made")
    made_path = page.url.removeprefix(scene.stack.broker_url)
    # The move list never offers the collection itself: post it by hand, as a stale form might.
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    answer = page.request.post(
        scene.stack.broker_url + made_path + "/move",
        form={"csrf_token": token or "", "parent_id": made_path.rsplit("/", 1)[1]},
        max_redirects=0,
    )
    assert answer.status == 303
    page.goto(scene.stack.broker_url + made_path)
    expect(page.locator(".flash")).to_contain_text("cannot be moved under itself")
    page.get_by_role("button", name="Delete collection").click()
    expect(page.locator("#dialog-body")).to_contain_text("stay in Latchkey")
    axe_check(page)
    page.get_by_role("button", name="Delete collection").click()
    expect(page.locator(".flash")).to_contain_text("is deleted")


@pytest.mark.parametrize(
    ("email", "sees"),
    [(TEAM_USER, "Collaborator"), (LOGIN_ONLY, "Collaborator"), (ADMIN, None), (OUTSIDER, None)],
)
def test_each_person_sees_the_collection_as_their_role_allows(
    browser_page: Page, scene: Scene, email: str, sees: str | None
) -> None:
    page = _as(browser_page, scene, email)
    _open(page, scene, "/collections")
    axe_check(page)
    listed = page.get_by_role("link", name="Shared logins")
    expect(listed).to_have_count(0 if sees is None else 1)
    if sees is None:
        expect(page.locator("#no-collections")).to_be_visible()
    status = _open(page, scene, f"/collections/{scene.collection_id}")
    axe_check(page)
    if sees is None:
        assert status == 404
        return
    assert status == 200
    expect(page.locator("#your-role")).to_have_text(sees)
    expect(page.get_by_role("button", name="Rename")).to_have_count(0)
    expect(page.get_by_role("button", name="Sync", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Add to collection")).to_have_count(0)
    expect(page.get_by_role("link", name="Sharing")).to_have_count(1)


def test_an_admin_runs_teams_and_others_are_not_let_in(browser_page: Page, scene: Scene) -> None:
    page = _as(browser_page, scene, ADMIN)
    assert _open(page, scene, "/teams") == 200
    axe_check(page)
    page.get_by_label("Name").fill("Night shift")
    page.get_by_role("button", name="Create team").click()
    expect(page.locator(".flash")).to_contain_text("The team is made")
    page.get_by_label("Add a member").select_option(
        label="Casey Collaborator (collaborator@example.com)"
    )
    page.get_by_role("button", name="Add to team").click()
    expect(page.locator("#team-members")).to_contain_text("collaborator@example.com")
    axe_check(page)
    page.get_by_role("button", name="Delete team").click()
    axe_check(page)
    page.get_by_role("button", name="Delete team").click()
    expect(page.locator(".flash")).to_contain_text("“Night shift” is deleted")

    for email in (OWNER, TEAM_USER, LOGIN_ONLY):
        _as(page, scene, email)
        assert _open(page, scene, "/teams") == (200 if email == OWNER else 403)
        axe_check(page)
