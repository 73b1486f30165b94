"""The collection and team pages as a browser drives them: forms read off the page and posted
back, refusals as each person sees them, and a collection extended → synced into the org."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from broker.db import transaction
from broker.models import Collection, ItemRole, Member, OktaExtension, SyncState, WorkspaceRole
from broker.services import collections, teams
from tests.broker.web.conftest import BROKER
from tests.broker.web.pages.conftest import Site, has_form, main_of
from tests.broker.web.pages.test_account_pages import one_sync_pass

pytestmark = pytest.mark.anyio


def _collection(site: Site, owner: Member, *accounts_of: Member, name: str = "Engineering") -> str:
    with site.harness.build() as world:
        made = collections.create_collection(world.session, site.harness.workspace_id, name)
        world.share(world.session.get_one(Member, owner.id), made, ItemRole.OWNER)
        return made.id


async def test_an_owner_makes_a_collection_from_the_form_and_finds_it_in_the_list(
    site: Site,
) -> None:
    await site.sign_in(WorkspaceRole.USER)
    form = await site.get("/collections/new")
    assert form.status_code == 200

    bad = await site.submit(form, "/collections/new", name="   ")
    assert bad.status_code == 400
    assert "The name must not be empty." in main_of(bad.text)

    made = await site.submit_and_follow(form, "/collections/new", name="Engineering")
    assert made.status_code == 200
    assert "The collection “Engineering” is made." in made.text
    assert 'Your role: <strong id="your-role">Owner</strong>' in made.text
    listing = await site.get("/collections")
    assert ">Engineering</a>" in main_of(listing.text)
    assert '<a href="/collections">Collections</a>' in listing.text  # the header's link


# (workspace role, share on the collection) -> page status, whether the Owner's forms are drawn
VIEWERS = {
    "owner": (WorkspaceRole.USER, ItemRole.OWNER, 200, True),
    "collaborator": (WorkspaceRole.USER, ItemRole.COLLABORATOR, 200, False),
    "login_only": (WorkspaceRole.LOGIN_ONLY, ItemRole.COLLABORATOR, 200, False),
    "admin_without_share": (WorkspaceRole.ADMIN, None, 404, False),
    "outsider": (WorkspaceRole.USER, None, 404, False),
}


@pytest.mark.parametrize("case", list(VIEWERS))
async def test_the_collection_page_and_its_forms_follow_rbac(site: Site, case: str) -> None:
    role, share, status, manages = VIEWERS[case]
    site.connect_okta()
    viewer = await site.sign_in(role)
    owner = site.colleague()
    cid = _collection(site, owner)
    account = site.account((owner, ItemRole.OWNER))
    with site.harness.build() as world:
        collections.add_account(world.session, site.harness.workspace_id, cid, account.id)
        if share:
            world.share(
                world.session.get_one(Member, viewer.id),
                world.session.get_one(Collection, cid),
                share,
            )

    page = await site.get(f"/collections/{cid}")

    assert page.status_code == status
    for action in ("rename", "move"):
        assert has_form(page.text, f"/collections/{cid}/{action}") is manages
    assert has_form(page.text, f"/collections/{cid}/delete", "get") is manages
    if status == 200:
        assert account.name in main_of(page.text)
        assert f'href="/collections/{cid}/sharing"' in page.text
    # A hand-made post is refused all the same, and changes nothing.
    if not manages:
        refused = await site.browser.post(
            f"{BROKER}/collections/{cid}/rename",
            data={"name": "Mine", "csrf_token": forms_token(page.text)},
        )
        assert refused.status_code == {200: 403, 404: 404}[status]
        with site.harness.ctx.sessions() as s:
            assert s.get_one(Collection, cid).name == "Engineering"


async def test_a_collection_moved_under_itself_gets_a_clear_message_and_stays(site: Site) -> None:
    owner = await site.sign_in(WorkspaceRole.USER)
    cid = _collection(site, owner)
    page = await site.get(f"/collections/{cid}")

    after = await site.submit_and_follow(page, f"/collections/{cid}/move", parent_id=cid)

    assert "A collection cannot be moved under itself." in main_of(after.text)
    with site.harness.ctx.sessions() as s:
        assert s.get_one(Collection, cid).parent_id is None


async def test_extend_collection_from_its_dialog_then_sync_brings_every_account_to_okta(
    site: Site,
) -> None:
    site.connect_okta()
    owner = await site.sign_in(WorkspaceRole.USER)
    cid = _collection(site, owner)
    a = site.account((owner, ItemRole.OWNER))
    b = site.account((owner, ItemRole.OWNER))
    with site.harness.build() as world:
        child = collections.create_collection(
            world.session, site.harness.workspace_id, "Child", parent_id=cid
        )
        collections.add_account(world.session, site.harness.workspace_id, cid, a.id)
        collections.add_account(world.session, site.harness.workspace_id, child.id, b.id)

    page = await site.get(f"/collections/{cid}")
    dialog = await site.get(f"/collections/{cid}/extend")
    assert has_form(page.text, f"/collections/{cid}/extend", "get")
    assert "Extend your collection to Okta?" in dialog.text
    assert ">Extend collection</button>" in dialog.text
    extended = await site.submit_and_follow(dialog, f"/collections/{cid}/extend")
    assert "The collection is extended to Okta: 2 accounts show pending" in extended.text

    await one_sync_pass(site)

    with site.harness.ctx.sessions() as s:
        rows = s.scalars(select(OktaExtension)).all()
    assert {(r.account_id, r.sync_state) for r in rows} == {
        (a.id, SyncState.SYNCED),
        (b.id, SyncState.SYNCED),
    }
    labels = {app.label for app in site.harness.org_ctx.state.apps.values()}
    assert {f"{a.name} - {a.app_name}", f"{b.name} - {b.app_name}"} <= labels
    synced = await site.get(f"/collections/{cid}")
    assert 'data-state="synced"' in synced.text
    assert "2 of 2" in main_of(synced.text)

    remove = await site.get(f"/collections/{cid}/remove")
    assert "Remove from Okta?" in remove.text
    removed = await site.submit_and_follow(remove, f"/collections/{cid}/remove")
    assert "2 accounts are being removed" in removed.text


async def test_deleting_a_collection_says_what_happens_to_its_accounts(site: Site) -> None:
    owner = await site.sign_in(WorkspaceRole.USER)
    cid = _collection(site, owner)
    account = site.account((owner, ItemRole.OWNER))
    with site.harness.build() as world:
        collections.add_account(world.session, site.harness.workspace_id, cid, account.id)

    dialog = await site.get(f"/collections/{cid}/delete")
    assert "they stay in Latchkey, out of the collection" in dialog.text
    after = await site.submit_and_follow(dialog, f"/collections/{cid}/delete")

    said = "The collection “Engineering” is deleted. The 1 account in it stays in Latchkey"
    assert said in after.text
    assert (await site.get(f"/accounts/{account.id}")).status_code == 200


async def test_an_admin_runs_teams_and_an_okta_team_is_read_only(site: Site) -> None:
    await site.sign_in(WorkspaceRole.ADMIN)
    colleague = site.colleague()
    with transaction(site.harness.ctx.sessions) as s:
        pushed = teams.create_team(s, site.harness.workspace_id, "Okta group", external_id="00g9")
        teams.add_members(s, site.harness.workspace_id, pushed.id, [colleague.id])

    listing = await site.get("/teams")
    assert "Managed by Okta" in main_of(listing.text)
    made = await site.submit_and_follow(listing, "/teams", name="Support")
    assert "The team is made." in made.text
    team_path = made.url.path
    joined = await site.submit_and_follow(made, f"{team_path}/members", member_id=colleague.id)
    assert colleague.email in main_of(joined.text)

    okta_page = await site.get(f"/teams/{pushed.id}")
    assert "Managed by Okta." in okta_page.text
    assert not has_form(okta_page.text, f"/teams/{pushed.id}/rename")
    assert not has_form(okta_page.text, f"/teams/{pushed.id}/members")
    # The form is not there, and a post made by hand is refused by the action itself.
    token = {"csrf_token": forms_token(joined.text)}
    answer = await site.browser.post(
        f"{BROKER}/teams/{pushed.id}/rename", data={**token, "name": "Mine"}
    )
    shown = await site.get(answer.headers["location"])
    assert "This team is managed by Okta" in main_of(shown.text)
    with site.harness.ctx.sessions() as s:
        assert teams.members_of(s, pushed.id) == {colleague.id}


def forms_token(page: str) -> str:
    marker = 'name="csrf_token" value="'
    return page.split(marker, 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("role", [WorkspaceRole.USER, WorkspaceRole.LOGIN_ONLY])
async def test_teams_are_not_for_members_who_are_not_admins(
    site: Site, role: WorkspaceRole
) -> None:
    await site.sign_in(role)
    page = await site.get("/teams")
    assert page.status_code == 403
    assert 'href="/teams"' not in page.text
