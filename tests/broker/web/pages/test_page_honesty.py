"""The pages say what is true: why syncing is paused, what a stale action finds, who to ask,
and what a dangerous button does (issue 13, points 2, 4, 5 and 6)."""

from __future__ import annotations

import html
import re

import pytest

from broker.db import transaction
from broker.models import ItemRole, OktaExtension, SyncState, Workspace, WorkspaceRole
from broker.services import workspaces
from broker.web.okta_domain import admin_console_org
from tests.broker.web.conftest import BROKER
from tests.broker.web.pages.conftest import Site, has_form, main_of

pytestmark = pytest.mark.anyio


def refuse_token(site: Site) -> None:
    with transaction(site.harness.ctx.sessions) as s:
        workspaces.record_token_check(
            s, site.harness.workspace_id, ok=False, error="401 E0000011: Invalid token provided"
        )


async def test_a_refused_token_pauses_syncing_and_the_account_says_so(site: Site) -> None:
    site.connect_okta()
    owner = await site.sign_in(WorkspaceRole.USER)
    account = site.extended(owner)
    with transaction(site.harness.ctx.sessions) as s:
        s.get_one(OktaExtension, account.id).sync_state = SyncState.SYNCED
    refuse_token(site)

    page = main_of((await site.get(f"/accounts/{account.id}")).text)
    profile = main_of((await site.get("/profile")).text)

    said = "Syncing is paused: the Okta API token needs updating (ask an Admin)."
    assert said in page
    assert said in profile
    assert 'data-state="pending"' in page  # not "Synced" while nothing can reach Okta
    assert "Pending: waiting for syncing to resume" in page


async def test_an_admin_is_pointed_at_settings_to_fix_the_token(site: Site) -> None:
    site.connect_okta()
    admin = await site.sign_in(WorkspaceRole.ADMIN)
    site.extended(admin)
    refuse_token(site)

    profile = main_of((await site.get("/profile")).text)

    assert "Okta refused the API token. Enter a new one in Settings." in profile
    assert '<a href="/settings">Open Settings</a>' in profile


async def test_with_the_feature_off_sync_with_okta_is_not_offered(site: Site) -> None:
    site.connect_okta()
    me = await site.sign_in(WorkspaceRole.USER)
    site.extended(me)
    with transaction(site.harness.ctx.sessions) as s:
        workspaces.set_extended_access(s, site.harness.workspace_id, False)

    profile = main_of((await site.get("/profile")).text)

    assert "Extended account access is turned off in this workspace." in profile
    assert not has_form(profile, "/profile/sync")


async def test_sync_with_okta_says_why_nothing_was_queued(site: Site) -> None:
    site.connect_okta()
    me = await site.sign_in(WorkspaceRole.USER)
    site.extended(me)
    page = await site.get("/profile")  # drawn while the feature was on
    with transaction(site.harness.ctx.sessions) as s:
        workspaces.set_extended_access(s, site.harness.workspace_id, False)

    after = main_of((await site.submit_and_follow(page, "/profile/sync")).text)

    assert "Nothing was queued. Extended account access is turned off" in after
    assert "0 extended accounts" not in after


async def test_back_to_the_extend_dialog_after_extending_says_it_is_extended(site: Site) -> None:
    site.connect_okta()
    owner = await site.sign_in(WorkspaceRole.USER)
    account = site.account((owner, ItemRole.OWNER))
    dialog = await site.get(f"/accounts/{account.id}/extend")
    await site.submit_and_follow(dialog, f"/accounts/{account.id}/extend")

    again = await site.submit_and_follow(dialog, f"/accounts/{account.id}/extend")  # a 2nd submit
    reopened = await site.browser.get(
        f"{BROKER}/accounts/{account.id}/extend", follow_redirects=True
    )

    for shown in (main_of(again.text), main_of(reopened.text)):
        assert "This account is already extended" in shown
        assert "flash-error" in shown
        assert "does not allow it" not in shown
        assert 'id="sync-state"' in shown  # the account page, with its true state


async def test_a_second_remove_says_it_is_being_removed(site: Site) -> None:
    site.connect_okta()
    owner = await site.sign_in(WorkspaceRole.USER)
    account = site.extended(owner)
    dialog = await site.get(f"/accounts/{account.id}/remove")
    await site.submit_and_follow(dialog, f"/accounts/{account.id}/remove")

    again = main_of((await site.submit_and_follow(dialog, f"/accounts/{account.id}/remove")).text)

    assert "This account is already being removed from Okta." in again
    assert 'data-state="removing"' in again


async def test_while_removing_the_owner_is_offered_extend_again_with_its_own_dialog(
    site: Site,
) -> None:
    site.connect_okta()
    owner = await site.sign_in(WorkspaceRole.USER)
    account = site.extended(owner)
    dialog = await site.get(f"/accounts/{account.id}/remove")
    await site.submit_and_follow(dialog, f"/accounts/{account.id}/remove")
    refuse_token(site)

    page = main_of((await site.get(f"/accounts/{account.id}")).text)
    again = main_of((await site.get(f"/accounts/{account.id}/extend")).text)

    assert ">Extend again</button>" in page
    assert ">Sync</button>" not in page
    assert "Syncing is paused" in page  # a removal stuck on the token says why
    assert "Extend this account to Okta again?" in again
    confirm = await site.get(f"/accounts/{account.id}/extend")
    back = await site.submit_and_follow(confirm, f"/accounts/{account.id}/extend")
    assert 'data-state="pending"' in back.text


async def test_a_collaborator_is_told_to_ask_the_accounts_owner(site: Site) -> None:
    site.connect_okta()
    owner = site.colleague()
    collaborator = await site.sign_in(WorkspaceRole.USER)
    account = site.account((owner, ItemRole.OWNER), (collaborator, ItemRole.COLLABORATOR))

    page = html.unescape(main_of((await site.get(f"/accounts/{account.id}")).text))
    dialog = await site.get(f"/accounts/{account.id}/extend")
    posted = await site.browser.post(
        f"{BROKER}/accounts/{account.id}/extend",
        data={"csrf_token": await site.csrf_token()},
    )

    assert "Ask the account's Owner." in page
    for refused in (dialog, posted):
        assert refused.status_code == 403
        text = html.unescape(main_of(refused.text))
        assert "Ask the account's Owner" in text
        assert "Ask a workspace Owner or Admin" not in text
        assert f'href="/accounts/{account.id}">Back to the account</a>' in text


async def test_dangerous_buttons_are_marked_and_apart_from_cancel(site: Site) -> None:
    site.connect_okta()
    owner = await site.sign_in(WorkspaceRole.OWNER)
    account = site.extended(owner)

    remove = main_of((await site.get(f"/accounts/{account.id}/remove")).text)
    turn_off = main_of((await site.get("/settings/extended-access?turn=off")).text)
    turn_on_page = main_of((await site.get("/settings/extended-access?turn=on")).text)

    for dialog, label in ((remove, "Remove from Okta"), (turn_off, "Turn off")):
        assert f'class="danger">{label}</button>' in dialog
        actions = dialog.split('class="dialog-actions"', 1)[1]
        assert actions.index("Cancel</a>") < actions.index(label)
    assert 'class="danger"' not in turn_on_page


@pytest.mark.parametrize(
    ("domain", "org"),
    [
        ("https://acme-admin.okta.com", "https://acme.okta.com"),
        ("acme-admin.oktapreview.com", "https://acme.oktapreview.com"),
        ("https://acme.okta.com", None),
        ("http://127.0.0.1:8410", None),
    ],
)
def test_admin_console_addresses_are_recognised(domain: str, org: str | None) -> None:
    assert admin_console_org(domain) == org


async def test_saving_the_admin_console_address_offers_the_org_url(site: Site) -> None:
    await site.sign_in(WorkspaceRole.ADMIN)
    page = await site.get("/settings")

    answer = await site.submit(
        page, "/settings/okta-domain", okta_domain="https://acme-admin.okta.com"
    )
    fix = re.search(
        r'<form method="post" action="/settings/okta-domain" class="fix">(.*?)</form>',
        answer.text,
        re.S,
    )
    assert fix is not None
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', fix[1]))
    posted = await site.browser.post(f"{BROKER}/settings/okta-domain", data=fields)
    fixed = await site.get(posted.headers["location"])

    assert answer.status_code == 400
    assert "Admin Console" in main_of(answer.text)
    assert ">Use https://acme.okta.com</button>" in answer.text
    with site.harness.ctx.sessions() as s:
        assert (
            s.get_one(Workspace, site.harness.workspace_id).okta_domain == "https://acme.okta.com"
        )
    assert "The IDP Domain is saved." in fixed.text


async def test_settings_fields_are_sized_and_bounded(site: Site) -> None:
    await site.sign_in(WorkspaceRole.ADMIN)

    page = main_of((await site.get("/settings")).text)

    assert 'maxlength="255"' in page
    assert 'maxlength="512"' in page
    assert "plain http:// is accepted only for a test org on this machine" in page
    assert 'role="switch"' in page
    assert 'class="switch-state" aria-hidden="true">Off</span>' in page
