"""The account page: who sees it, which buttons they get, and extend → sync → remove end to end."""

from __future__ import annotations

import html
import re

import pytest

from broker.db import transaction
from broker.models import (
    Account,
    ItemRole,
    Member,
    OktaExtension,
    SyncState,
    Team,
    WorkspaceRole,
)
from broker.services import members, teams
from sync.apply import ApplySettings
from sync.clients import client_maker
from sync.record import record_problem
from sync.worker import Worker, WorkerSettings
from tests.broker.web.conftest import BROKER
from tests.broker.web.pages.conftest import Site, has_form, main_of

pytestmark = pytest.mark.anyio

# (workspace role, share on the account) -> status of the page, and whether **Sync** is offered.
VIEWERS = {
    "owner": (WorkspaceRole.USER, ItemRole.OWNER, 200, True),
    "admin_owner": (WorkspaceRole.ADMIN, ItemRole.OWNER, 200, True),
    "collaborator": (WorkspaceRole.USER, ItemRole.COLLABORATOR, 200, False),
    "admin_without_share": (WorkspaceRole.ADMIN, None, 404, False),
    "owner_role_without_share": (WorkspaceRole.OWNER, None, 404, False),
    "login_only_with_share": (WorkspaceRole.LOGIN_ONLY, ItemRole.COLLABORATOR, 404, False),
}


def extension_of(site: Site, account: Account) -> OktaExtension | None:
    with site.harness.ctx.sessions() as s:
        return s.get(OktaExtension, account.id)


def worker(site: Site) -> Worker:
    return Worker(
        site.harness.ctx.sessions,
        site.harness.vault,
        BROKER,
        make_client=client_maker(transport=site.harness.org_transport),
        settings=WorkerSettings(apply=ApplySettings(), backoff_base_s=0.0),
    )


async def one_sync_pass(site: Site) -> None:
    sync = worker(site)
    try:
        await sync.run_due()
    finally:
        await sync.aclose()


@pytest.mark.parametrize("case", list(VIEWERS))
async def test_the_page_and_its_buttons_follow_rbac(site: Site, case: str) -> None:
    role, share, status, offers_sync = VIEWERS[case]
    site.connect_okta()
    viewer = await site.sign_in(role)
    account = site.account(*([(viewer, share)] if share else []))

    page = await site.get(f"/accounts/{account.id}")

    assert page.status_code == status
    assert has_form(page.text, f"/accounts/{account.id}/extend", "get") is offers_sync
    if status == 200:
        text = main_of(page.text)
        assert account.name in text
        assert account.username in text
        assert account.login_url in text
        assert "Extended account access for Okta" in text
        assert "pw-" not in page.text  # the builder's passwords: never on the page
    confirm = await site.get(f"/accounts/{account.id}/extend")
    assert confirm.status_code == {200: 200 if offers_sync else 403, 404: 404}[status]


async def test_an_unknown_account_gets_the_same_404_as_one_not_shared(site: Site) -> None:
    await site.sign_in(WorkspaceRole.USER)
    hidden = site.account()

    unknown = await site.get("/accounts/nOsUcHaCcOuNt000000000")
    not_shared = await site.get(f"/accounts/{hidden.id}")

    assert unknown.status_code == not_shared.status_code == 404
    assert main_of(unknown.text) == main_of(not_shared.text)


async def test_signed_out_and_deactivated_visitors_get_the_sign_in_page(site: Site) -> None:
    member = await site.sign_in(WorkspaceRole.USER)
    account = site.account((member, ItemRole.OWNER))
    assert (await site.get(f"/accounts/{account.id}")).status_code == 200
    with transaction(site.harness.ctx.sessions) as s:
        members.set_inactive(s, site.harness.workspace_id, member.id)

    assert (await site.get(f"/accounts/{account.id}")).status_code == 401
    site.browser.cookies.clear()
    assert (await site.get(f"/accounts/{account.id}")).status_code == 401


async def test_with_the_feature_off_an_owner_is_told_why_there_is_no_sync(site: Site) -> None:
    site.connect_okta(enabled=False)
    owner = await site.sign_in(WorkspaceRole.USER)
    account = site.account((owner, ItemRole.OWNER))

    page = await site.get(f"/accounts/{account.id}")

    assert "This account is not extended to Okta." in page.text
    assert "Extended account access is turned off in this workspace." in page.text
    assert not has_form(page.text, f"/accounts/{account.id}/extend", "get")


async def test_extend_then_sync_shows_pending_then_synced(site: Site) -> None:
    site.connect_okta()
    owner = await site.sign_in(WorkspaceRole.USER, login="ada@example.com")
    account = site.account((owner, ItemRole.OWNER))
    page = await site.get(f"/accounts/{account.id}")

    dialog = await site.browser.get(f"{BROKER}/accounts/{account.id}/extend")
    assert "<dialog open" in dialog.text
    assert "Extend your account to Okta?" in dialog.text
    assert has_form(page.text, f"/accounts/{account.id}/extend", "get")
    pending = await site.submit_and_follow(dialog, f"/accounts/{account.id}/extend")

    assert 'data-state="pending"' in pending.text
    assert "Pending: waiting for the next sync" in pending.text
    assert "by ada" in pending.text  # the signed-in member's name (the org's first name)
    assert 'id="last-synced">Not yet' in pending.text
    assert "Your account is being extended to Okta." in pending.text
    assert account.id in site.queued()

    await one_sync_pass(site)
    synced = await site.get(f"/accounts/{account.id}")

    assert 'data-state="synced"' in synced.text
    assert '<dd id="last-synced"><time datetime=' in synced.text
    extension = extension_of(site, account)
    assert extension is not None
    assert extension.okta_app_id in site.harness.org_ctx.state.apps
    assert "More options" in synced.text
    assert has_form(synced.text, f"/accounts/{account.id}/sync")
    assert has_form(synced.text, f"/accounts/{account.id}/remove", "get")


async def test_sync_manually_queues_the_account(site: Site) -> None:
    site.connect_okta()
    owner = await site.sign_in(WorkspaceRole.USER)
    account = site.extended(owner)
    site.clear_outbox()
    page = await site.get(f"/accounts/{account.id}")

    after = await site.submit_and_follow(page, f"/accounts/{account.id}/sync")

    assert "A sync of this account is queued." in after.text
    assert site.queued() == {account.id}


async def test_remove_from_okta_confirms_then_the_app_goes(site: Site) -> None:
    site.connect_okta()
    owner = await site.sign_in(WorkspaceRole.USER)
    account = site.extended(owner)
    await one_sync_pass(site)
    extension = extension_of(site, account)
    assert extension is not None
    app_id = extension.okta_app_id

    dialog = await site.get(f"/accounts/{account.id}/remove")
    assert "Remove from Okta?" in dialog.text
    assert "The account stays in Latchkey" in dialog.text
    removing = await site.submit_and_follow(dialog, f"/accounts/{account.id}/remove")

    assert 'data-state="removing"' in removing.text
    assert not has_form(removing.text, f"/accounts/{account.id}/sync")
    await one_sync_pass(site)
    gone = await site.get(f"/accounts/{account.id}")

    assert gone.status_code == 200
    assert "This account is not extended to Okta." in gone.text
    assert app_id not in site.harness.org_ctx.state.apps


async def test_a_failed_sync_shows_the_reason(site: Site) -> None:
    site.connect_okta()
    owner = await site.sign_in(WorkspaceRole.USER)
    account = site.extended(owner)
    with transaction(site.harness.ctx.sessions) as s:
        record_problem(s, account.id, "400 E0000001: Api validation failed: label", failed=True)

    page = await site.get(f"/accounts/{account.id}")

    assert 'data-state="failed"' in page.text
    assert "<dt>Reason</dt>" in page.text
    assert "400 E0000001: Api validation failed: label" in page.text


async def test_a_collaborator_posting_the_owners_forms_changes_nothing(site: Site) -> None:
    site.connect_okta()
    owner: Member = site.colleague()
    collaborator = await site.sign_in(WorkspaceRole.USER)
    fresh = site.account((owner, ItemRole.OWNER), (collaborator, ItemRole.COLLABORATOR))
    extended = site.extended(owner, (collaborator, ItemRole.COLLABORATOR))
    site.clear_outbox()
    page = await site.get(f"/accounts/{extended.id}")
    assert "More options" not in page.text
    token = await site.csrf_token()

    for account, action in ((fresh, "extend"), (extended, "sync"), (extended, "remove")):
        answer = await site.browser.post(
            f"{BROKER}/accounts/{account.id}/{action}", data={"csrf_token": token}
        )
        assert answer.status_code == 403, action

    assert extension_of(site, fresh) is None
    still = extension_of(site, extended)
    assert still is not None
    assert still.sync_state is SyncState.PENDING
    assert site.queued() == set()


async def test_posting_to_an_account_one_cannot_see_answers_404(site: Site) -> None:
    site.connect_okta()
    owner = site.colleague()
    await site.sign_in(WorkspaceRole.ADMIN)
    account = site.extended(owner)
    token = await site.csrf_token()

    answer = await site.browser.post(
        f"{BROKER}/accounts/{account.id}/remove", data={"csrf_token": token}
    )

    assert answer.status_code == 404
    extension = extension_of(site, account)
    assert extension is not None
    assert extension.removal_requested_at is None


async def test_an_account_post_without_csrf_token_is_refused(site: Site) -> None:
    site.connect_okta()
    owner = await site.sign_in(WorkspaceRole.USER)
    account = site.account((owner, ItemRole.OWNER))

    answer = await site.browser.post(f"{BROKER}/accounts/{account.id}/extend", data={})

    assert answer.status_code == 403
    assert extension_of(site, account) is None


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main_of(page))).split())


async def test_the_page_shows_how_the_app_is_assigned_in_okta(site: Site) -> None:
    # Through the Okta group of a pushed team when every member of it may launch the account,
    # one by one for the rest; after a Login-only member joins the group, one by one for all.
    site.connect_okta()
    owner = await site.sign_in(WorkspaceRole.USER, login="ada@example.com")
    grace = site.harness.okta_user("grace@example.com")
    linus = site.harness.okta_user("linus@example.com")
    colleague = site.harness.member_for(grace)
    with site.harness.org_ctx.state.locked() as state:
        group = state.add_group("Engineering")
        group.member_ids |= {owner.external_id or "", grace.id}
    with site.harness.build() as world:
        team = teams.create_team(world.session, site.harness.workspace_id, "Engineering")
        teams.add_members(world.session, site.harness.workspace_id, team.id, [owner.id])
        teams.add_members(world.session, site.harness.workspace_id, team.id, [colleague.id])
    solo = site.harness.member_for(site.harness.okta_user("solo@example.com"))
    account = site.extended(owner, (solo, ItemRole.COLLABORATOR))
    with site.harness.build() as world:
        world.share(world.session.get_one(Team, team.id), account)

    await one_sync_pass(site)
    page = await site.get(f"/accounts/{account.id}")

    assert 'data-mode="okta-groups"' in page.text, _text(page.text)
    assert "Assigned in Okta Through group Engineering (2 people) + 1 person individually" in (
        _text(page.text)
    )

    site.harness.member_for(linus, WorkspaceRole.LOGIN_ONLY)
    with site.harness.org_ctx.state.locked():
        group.member_ids.add(linus.id)
    sync = worker(site)
    try:
        await sync.full_pass()
    finally:
        await sync.aclose()
    page = await site.get(f"/accounts/{account.id}")

    text = _text(page.text)
    assert 'data-mode="individual"' in page.text
    assert "Assigned in Okta Individually: 3 people" in text
    assert "Not through group Engineering It holds 1 person who may not launch this account" in text
