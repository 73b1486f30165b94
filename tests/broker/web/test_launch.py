"""`GET /launch/{account_id}`: the launch page with its grant, or the one blocked page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from broker import grants
from broker.db import transaction
from broker.ext_tables import LaunchGrant
from broker.models import WorkspaceRole
from broker.services import accounts, members, workspaces
from broker.session_models import BrokerSession
from broker.web.templating import CONTENT_SECURITY_POLICY
from tests.broker.builders import World
from tests.broker.web.conftest import BROKER, Harness

pytestmark = pytest.mark.anyio

_GRANT_META = re.compile(r'<meta name="latchkey-grant" content="([^"]+)">')


def main_of(html: str) -> str:
    """The page's <main>: what differs between pages, without the signed-in header."""
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


async def test_a_member_with_access_gets_the_launch_page_with_a_grant(harness: Harness) -> None:
    user = harness.okta_user("ada@example.com")
    member = harness.member_for(user)
    with harness.build() as world:
        account = world.account()
        world.share(member, account)

    journey = await harness.sign_in_and_launch(user, account.id)

    page = journey.final
    assert page.status_code == 200
    assert str(page.request.url) == f"{BROKER}/launch/{account.id}"
    grant = _GRANT_META.search(page.text)
    assert grant is not None
    assert grant.group(1) not in " ".join(journey.urls())  # never in a URL
    assert f'<meta name="latchkey-account" content="{account.id}">' in page.text
    assert 'id="latchkey-get-extension"' in page.text  # help for a browser without it
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'none'" in CONTENT_SECURITY_POLICY

    with transaction(harness.ctx.sessions) as s:
        session_id = s.scalars(select(BrokerSession.id)).one()
        stored = s.scalars(select(LaunchGrant)).one()
        assert stored.session_id == session_id
        assert stored.token_hash != grant.group(1)
        redeemed = grants.redeem_grant(s, grant.group(1), member_id=member.id)
    assert redeemed.account_id == account.id


async def test_each_launch_gets_a_fresh_grant(harness: Harness) -> None:
    user = harness.okta_user("ada@example.com")
    member = harness.member_for(user)
    with harness.build() as world:
        account = world.account()
        world.share(member, account)
    first = (await harness.sign_in_and_launch(user, account.id)).final.text
    second = (await harness.browser.get(f"{BROKER}/launch/{account.id}")).text

    first_grant, second_grant = (_GRANT_META.search(p) for p in (first, second))
    assert first_grant is not None
    assert second_grant is not None
    assert first_grant.group(1) != second_grant.group(1)


# Each way a launch is refused, and the reason the audit trail records (the page never says).
BLOCKED = {
    "no_access": "no_access",  # no share at all
    "login_only": "login_only",  # a Login-only member with a share
    "unknown_account": "unknown_account",  # an id that names nothing
    "deleted_account": "unknown_account",  # deleted since the chiclet was made
    "foreign_account": "unknown_account",  # an account of another workspace
}


@pytest.mark.parametrize("case", list(BLOCKED))
async def test_every_refusal_shows_the_same_blocked_page(harness: Harness, case: str) -> None:
    user = harness.okta_user("ada@example.com")
    role = WorkspaceRole.LOGIN_ONLY if case == "login_only" else WorkspaceRole.USER
    member = harness.member_for(user, role)
    with harness.build() as world:
        account = world.account()
        if case in ("login_only", "deleted_account"):
            world.share(member, account)
        if case == "deleted_account":
            accounts.delete_account(world.session, harness.workspace_id, account.id)
        account_id = account.id
        if case == "unknown_account":
            account_id = "nOsUcHaCcOuNt000000000"
        if case == "foreign_account":
            other = workspaces.create_workspace(world.session, "Other")
            foreign = World(world.session, world.vault, other).account()
            account_id = foreign.id
    reference = await _blocked_reference(harness)

    journey = await harness.sign_in_and_launch(user, account_id)

    assert journey.final.status_code == 403
    assert main_of(journey.final.text) == reference
    assert "grant" not in journey.final.text
    events = [e for e in harness.audit("launch.blocked") if e.actor_id == member.id]
    assert [(e.target_id, e.details["reason"]) for e in events] == [(account_id, BLOCKED[case])]
    assert events[0].actor_id == member.id


async def _blocked_reference(harness: Harness) -> str:
    """The blocked page as a member with no access at all sees it (then signed out)."""
    harness.browser.cookies.clear()
    outsider = harness.okta_user("outsider@example.com")
    harness.member_for(outsider)
    with harness.build() as world:
        account_id = world.account().id
    response = await harness.sign_in_and_launch(outsider, account_id)
    assert response.final.status_code == 403
    harness.browser.cookies.clear()
    return main_of(response.final.text)


async def test_a_deactivated_member_is_blocked_with_the_same_page(harness: Harness) -> None:
    user = harness.okta_user("ada@example.com")
    member = harness.member_for(user)
    with harness.build() as world:
        account = world.account()
        world.share(member, account)
    assert (await harness.sign_in_and_launch(user, account.id)).final.status_code == 200
    reference = await _blocked_reference(harness)
    await harness.okta_session(user)
    await harness.navigate(f"{BROKER}/auth/login")  # signed in again, then deactivated
    with transaction(harness.ctx.sessions) as s:
        members.set_inactive(s, harness.workspace_id, member.id)

    journey = await harness.navigate(f"{BROKER}/launch/{account.id}")

    paths = [r.request.url.path for r in journey.hops]
    assert paths[1] == "/oauth2/v1/authorize"  # the live session was refused at once
    assert journey.final.status_code == 403
    assert main_of(journey.final.text) == reference
    assert harness.session_cookie() is not None  # the refused cookie is simply never honoured
    blocked = [e for e in harness.audit("launch.blocked") if e.actor_id == member.id]
    assert [(e.actor_id, e.target_id, e.details["reason"]) for e in blocked] == [
        (member.id, account.id, "deactivated")
    ]


async def test_without_a_session_the_launch_signs_in_and_comes_back(harness: Harness) -> None:
    user = harness.okta_user("ada@example.com")
    member = harness.member_for(user)
    with harness.build() as world:
        account = world.account()
        world.share(member, account)

    journey = await harness.sign_in_and_launch(user, account.id)

    paths = [r.request.url.path for r in journey.hops]
    assert paths == [
        f"/launch/{account.id}",
        "/oauth2/v1/authorize",
        "/auth/callback",
        f"/launch/{account.id}",
    ]
    assert journey.final.status_code == 200
