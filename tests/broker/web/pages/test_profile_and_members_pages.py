"""My Profile (who I am, *Sync with Okta*) and the members list (admins only)."""

from __future__ import annotations

import pytest

from broker.db import transaction
from broker.models import ItemRole, WorkspaceRole
from broker.services import members
from tests.broker.web.conftest import BROKER
from tests.broker.web.pages.conftest import Site, main_of

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("role", list(WorkspaceRole))
async def test_every_signed_in_member_sees_their_profile(site: Site, role: WorkspaceRole) -> None:
    member = await site.sign_in(role)

    page = await site.get("/profile")

    assert page.status_code == 200
    text = main_of(page.text)
    assert member.email in text
    assert f"<code>{member.external_id}</code>" in text
    assert "Sync with Okta" in text
    # Nothing of theirs is extended: the button is not offered, and the page says why.
    assert ">Sync with Okta</button>" not in text
    assert "You own no account that is extended to Okta" in text


async def test_sync_with_okta_queues_the_accounts_i_own_and_says_how_many(site: Site) -> None:
    site.connect_okta()
    me = await site.sign_in(WorkspaceRole.USER)
    someone = site.colleague()
    mine = [site.extended(me), site.extended(me)]
    theirs = site.extended(someone, (me, ItemRole.COLLABORATOR))
    site.clear_outbox()
    page = await site.get("/profile")

    after = await site.submit_and_follow(page, "/profile/sync")

    assert "2 extended accounts queued for sync with Okta." in after.text
    assert site.queued() == {a.id for a in mine}
    assert theirs.id not in site.queued()


async def test_sync_with_okta_without_csrf_token_is_refused(site: Site) -> None:
    site.connect_okta()
    me = await site.sign_in(WorkspaceRole.USER)
    site.extended(me)
    site.clear_outbox()

    answer = await site.browser.post(f"{BROKER}/profile/sync", data={"csrf_token": "nope"})

    assert answer.status_code == 403
    assert site.queued() == set()


async def test_the_queued_count_shows_only_digits(site: Site) -> None:
    await site.sign_in(WorkspaceRole.USER)

    page = await site.get("/profile?queued=<script>")

    assert "<script>" not in page.text
    assert "queued for sync" not in page.text


MEMBERS_PAGE = {
    WorkspaceRole.OWNER: 200,
    WorkspaceRole.SUPER_ADMIN: 200,
    WorkspaceRole.ADMIN: 200,
    WorkspaceRole.USER: 403,
    WorkspaceRole.LOGIN_ONLY: 403,
}


@pytest.mark.parametrize("role", list(MEMBERS_PAGE))
async def test_the_members_page_is_for_admins(site: Site, role: WorkspaceRole) -> None:
    await site.sign_in(role)

    page = await site.get("/members")

    assert page.status_code == MEMBERS_PAGE[role]
    assert ('href="/members"' in page.text) is (MEMBERS_PAGE[role] == 200)


async def test_members_show_role_state_and_okta_id_or_not_from_okta(site: Site) -> None:
    admin = await site.sign_in(WorkspaceRole.ADMIN)
    from_okta = site.colleague(WorkspaceRole.LOGIN_ONLY)
    local = site.colleague(okta=False)
    with transaction(site.harness.ctx.sessions) as s:
        members.set_inactive(s, site.harness.workspace_id, from_okta.id)

    page = await site.get("/members")

    rows = {
        m.id: main_of(page.text).split(f'<tr id="member-{m.id}">', 1)[1].split("</tr>", 1)[0]
        for m in (admin, from_okta, local)
    }
    assert "Admin" in rows[admin.id]
    assert f"<code>{admin.external_id}</code>" in rows[admin.id]
    assert "Login-only" in rows[from_okta.id]
    assert "Deactivated" in rows[from_okta.id]
    assert f"<code>{from_okta.external_id}</code>" in rows[from_okta.id]
    assert "not from Okta" in rows[local.id]
    assert "Active" in rows[local.id]
