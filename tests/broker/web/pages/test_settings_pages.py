"""Workspace settings: who sees them, the switch, the IDP Domain, the token, Test connection."""

from __future__ import annotations

import logging
import secrets

import pytest

from broker.db import transaction
from broker.models import AuditEvent, TokenStatus, Workspace, WorkspaceRole
from broker.services import members, workspaces
from broker.sessions import SESSION_COOKIE
from sandbox.org.faults import Fault, fault_injector
from tests.broker.web.conftest import BROKER, Harness
from tests.broker.web.pages.conftest import Site, hidden_fields, main_of

pytestmark = pytest.mark.anyio

# Who gets the settings page, and with what status.
BY_ROLE = {
    WorkspaceRole.OWNER: 200,
    WorkspaceRole.SUPER_ADMIN: 200,
    WorkspaceRole.ADMIN: 200,
    WorkspaceRole.USER: 403,
    WorkspaceRole.LOGIN_ONLY: 403,
    WorkspaceRole.GUEST: 403,
}


def workspace(harness: Harness) -> Workspace:
    with harness.ctx.sessions() as s:
        found = s.get(Workspace, harness.workspace_id)
        assert found is not None
        return found


@pytest.mark.parametrize("role", list(BY_ROLE))
async def test_only_admins_see_the_settings_page(site: Site, role: WorkspaceRole) -> None:
    await site.sign_in(role)

    page = await site.get("/settings")
    confirm = await site.get("/settings/extended-access?turn=on")

    assert (page.status_code, confirm.status_code) == (BY_ROLE[role], BY_ROLE[role])
    if BY_ROLE[role] == 200:
        assert "<h1" in page.text
        assert "Workspace settings" in page.text
        assert 'href="/settings"' in page.text  # the header links the admin pages
    else:
        assert "You cannot use workspace settings" in main_of(page.text)
        assert 'href="/settings"' not in page.text


async def test_signed_out_visitors_are_asked_to_sign_in(site: Site) -> None:
    for path in ("/settings", "/settings/extended-access?turn=on", "/members", "/profile"):
        page = await site.get(path)
        assert page.status_code == 401, path
        back = path.split("?")[0]
        assert f'href="/auth/login?next={back}"' in main_of(page.text)


async def test_a_deactivated_member_is_signed_out_at_once(site: Site) -> None:
    member = await site.sign_in(WorkspaceRole.OWNER)
    assert (await site.get("/settings")).status_code == 200
    with transaction(site.harness.ctx.sessions) as s:
        members.set_inactive(s, site.harness.workspace_id, member.id)

    assert (await site.get("/settings")).status_code == 401


async def test_non_admins_cannot_change_settings_by_posting(site: Site) -> None:
    await site.sign_in(WorkspaceRole.USER)
    token = await site.csrf_token()

    for action, field, value in (
        ("/settings/extended-access", "enabled", "on"),
        ("/settings/okta-domain", "okta_domain", "https://acme.okta.com"),
        ("/settings/okta-token", "okta_token", secrets.token_urlsafe(20)),
    ):
        answer = await site.browser.post(
            f"{BROKER}{action}", data={"csrf_token": token, field: value}
        )
        assert answer.status_code == 403, action

    after = workspace(site.harness)
    assert (after.extended_access_enabled, after.okta_domain, after.okta_token_secret_id) == (
        False,
        None,
        None,
    )


async def test_turning_the_feature_on_explains_it_then_queues_extended_accounts(
    site: Site,
) -> None:
    admin = await site.sign_in(WorkspaceRole.ADMIN)
    site.connect_okta()
    account = site.extended(admin)
    with transaction(site.harness.ctx.sessions) as s:
        workspaces.set_extended_access(s, site.harness.workspace_id, False)
    site.clear_outbox()
    settings = await site.get("/settings")
    assert 'role="switch"' in settings.text
    assert 'aria-checked="false"' in settings.text

    dialog = await site.get("/settings/extended-access?turn=on")
    assert "<dialog open" in dialog.text
    assert "Turn on extended account access?" in dialog.text
    after = await site.submit_and_follow(dialog, "/settings/extended-access")

    assert workspace(site.harness).extended_access_enabled
    assert account.id in site.queued()
    assert 'aria-checked="true"' in after.text
    assert "Extended account access is on." in after.text
    assert [e.actor_id for e in site.harness.audit("settings.extended_access_enabled")]


async def test_turning_the_feature_off_says_apps_stay_and_queues_nothing(site: Site) -> None:
    await site.sign_in(WorkspaceRole.OWNER)
    site.connect_okta()
    site.clear_outbox()
    dialog = await site.get("/settings/extended-access?turn=off")

    text = main_of(dialog.text)
    assert "Syncing and extending stop" in text
    assert "Apps already in Okta stay there" in text
    assert "chiclet logins keep working for users who still have access" in text
    after = await site.submit_and_follow(dialog, "/settings/extended-access")

    assert not workspace(site.harness).extended_access_enabled
    assert site.queued() == set()
    assert "Extended account access is off." in after.text


DOMAINS = {
    "https://acme.okta.com": (303, "https://acme.okta.com"),
    "  https://acme.okta.com/  ": (303, "https://acme.okta.com"),
    "http://127.0.0.1:8410": (303, "http://127.0.0.1:8410"),  # loopback sandbox
    "http://acme.okta.com": (400, None),
    "acme.okta.com": (400, None),
    "https://acme.okta.com/admin": (400, None),
    "": (400, None),
}


@pytest.mark.parametrize("domain", list(DOMAINS))
async def test_the_idp_domain_must_be_https(site: Site, domain: str) -> None:
    await site.sign_in(WorkspaceRole.SUPER_ADMIN)
    page = await site.get("/settings")

    answer = await site.submit(page, "/settings/okta-domain", okta_domain=domain)

    status, stored = DOMAINS[domain]
    assert answer.status_code == status
    assert workspace(site.harness).okta_domain == stored
    if status == 400:
        assert 'id="okta_domain-error"' in answer.text
        assert 'aria-invalid="true"' in answer.text
        assert "Nothing was changed" in answer.text


@pytest.mark.parametrize("bad", ["", "   ", "two words", "x" * 513])
async def test_a_bad_token_is_refused_and_not_stored(site: Site, bad: str) -> None:
    await site.sign_in(WorkspaceRole.ADMIN)
    page = await site.get("/settings")

    answer = await site.submit(page, "/settings/okta-token", okta_token=bad)

    assert answer.status_code == 400
    assert 'id="okta_token-error"' in answer.text
    assert workspace(site.harness).okta_token_secret_id is None


async def test_the_token_is_sealed_and_never_shown_back(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await site.sign_in(WorkspaceRole.ADMIN)
    token = secrets.token_urlsafe(30)
    page = await site.get("/settings")
    assert "No API token is set." in page.text

    after = await site.submit_and_follow(page, "/settings/okta-token", okta_token=token)

    assert "The API token is saved." in after.text
    assert "Set on" in after.text
    assert "Not tested yet." in after.text
    assert token not in after.text
    stored = workspace(site.harness)
    assert stored.okta_token_status is TokenStatus.UNCHECKED
    with site.harness.ctx.sessions() as s:
        events = s.query(AuditEvent).all()
        assert all(token not in repr(e.details) for e in events)
    # A failed save of the same form (a bad domain) does not echo it either.
    bad = await site.submit(after, "/settings/okta-domain", okta_domain="ftp://x")
    assert token not in bad.text
    tested = await site.submit_and_follow(after, "/settings/test-connection")
    assert token not in tested.text
    assert token not in caplog.text


async def test_test_connection_against_the_sandbox_says_ok(site: Site) -> None:
    await site.sign_in(WorkspaceRole.ADMIN)
    site.connect_okta()
    page = await site.get("/settings")

    answer = await site.submit_and_follow(page, "/settings/test-connection")

    assert answer.status_code == 200
    assert "Connection OK" in main_of(answer.text).split("<h1", 1)[0]  # at the top
    assert "Connection OK" not in (await site.get("/settings")).text  # a reload: not again
    # And what the token may do with Latchkey's own OIDC app (assigned to Everyone here).
    assert "The token can read Latchkey&#39;s app" in answer.text
    assert "Okta accepted it on" in answer.text
    assert workspace(site.harness).okta_token_status is TokenStatus.OK
    assert site.harness.org_ctx.api_token not in answer.text
    assert [e.details["ok"] for e in site.harness.audit("settings.okta_connection_tested")] == [
        True
    ]


async def test_a_refused_token_shows_update_and_a_new_token_clears_it(site: Site) -> None:
    await site.sign_in(WorkspaceRole.ADMIN)
    site.connect_okta(token=secrets.token_urlsafe(30))  # a token the org never issued
    page = await site.get("/settings")

    refused = await site.submit_and_follow(page, "/settings/test-connection")

    assert "Connection failed: Okta refused the token (401 E0000011)." in refused.text
    assert 'class="flash flash-error" role="alert"' in refused.text
    assert 'id="token-update"' in refused.text
    assert 'role="alert"' in refused.text
    assert "Update the Okta API token" in refused.text
    assert ">Update</button>" in refused.text
    stored = workspace(site.harness)
    assert stored.okta_token_status is TokenStatus.INVALID
    reload = await site.get("/settings")
    assert 'id="token-update"' in reload.text  # the state stays until a new token is saved

    saved = await site.submit_and_follow(
        reload, "/settings/okta-token", okta_token=site.harness.org_ctx.api_token
    )
    assert 'id="token-update"' not in saved.text
    tested = await site.submit_and_follow(saved, "/settings/test-connection")
    assert "Connection OK" in tested.text


async def test_test_connection_without_a_domain_asks_for_one(site: Site) -> None:
    await site.sign_in(WorkspaceRole.ADMIN)
    page = await site.get("/settings")

    answer = await site.submit_and_follow(page, "/settings/test-connection")

    assert "Enter the IDP Domain and an API token first." in answer.text
    assert workspace(site.harness).okta_token_status is TokenStatus.UNSET


@pytest.mark.parametrize("token", [None, "", "forged"])
async def test_a_post_without_the_sessions_csrf_token_is_refused(
    site: Site, token: str | None
) -> None:
    await site.sign_in(WorkspaceRole.OWNER)
    data = {"enabled": "on", "okta_domain": "https://acme.okta.com"}
    if token is not None:
        data["csrf_token"] = token

    for action in ("/settings/extended-access", "/settings/okta-domain"):
        answer = await site.browser.post(f"{BROKER}{action}", data=data)
        assert answer.status_code == 403
        assert "This request was refused" in answer.text

    after = workspace(site.harness)
    assert (after.extended_access_enabled, after.okta_domain) == (False, None)


async def test_another_sessions_csrf_token_is_refused(site: Site) -> None:
    await site.sign_in(WorkspaceRole.OWNER)
    theirs = hidden_fields((await site.get("/settings")).text, "/settings/okta-domain")
    await site.sign_in(WorkspaceRole.OWNER)
    assert site.browser.cookies.get(SESSION_COOKIE)

    answer = await site.browser.post(
        f"{BROKER}/settings/okta-domain", data={**theirs, "okta_domain": "https://a.okta.com"}
    )

    assert answer.status_code == 403
    assert workspace(site.harness).okta_domain is None


async def test_settings_changed_by_another_admin_show_on_reload(site: Site) -> None:
    await site.sign_in(WorkspaceRole.ADMIN)
    with transaction(site.harness.ctx.sessions) as s:
        workspaces.set_okta_domain(s, site.harness.workspace_id, "https://other.okta.com")

    page = await site.get("/settings")

    assert 'value="https://other.okta.com"' in page.text


async def test_a_switch_post_that_is_neither_on_nor_off_changes_nothing(site: Site) -> None:
    await site.sign_in(WorkspaceRole.ADMIN)
    page = await site.get("/settings/extended-access?turn=on")

    answer = await site.submit(page, "/settings/extended-access", enabled="maybe")

    assert answer.status_code == 400
    assert 'id="extended_access-error"' in answer.text
    assert workspace(site.harness).extended_access_enabled is False


async def test_an_okta_outage_is_shown_but_says_nothing_about_the_token(site: Site) -> None:
    await site.sign_in(WorkspaceRole.ADMIN)
    site.connect_okta()
    fault_injector(site.harness.org_ctx).add(Fault("/api/v1/apps", status=503))
    page = await site.get("/settings")

    answer = await site.submit_and_follow(page, "/settings/test-connection")

    assert "Okta is not answering properly; try again later (503" in answer.text
    assert 'id="token-update"' not in answer.text
    assert workspace(site.harness).okta_token_status is TokenStatus.UNCHECKED
