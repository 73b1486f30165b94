"""The extended-access pages driven as a browser drives them: signed in through the sandbox org,
forms read off the page (their hidden CSRF token included) and posted back.

Builds on `tests/broker/web/conftest.py` (the `harness`: broker and sandbox org in one process).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import delete, select

from broker.db import transaction
from broker.models import Account, ItemRole, Member, SyncOutbox, WorkspaceRole
from broker.services import extensions, members, workspaces
from tests.broker.web.conftest import BROKER, ORG, Harness

_FORM = re.compile(r'<form method="(get|post)" action="([^"]+)"[^>]*>(.*?)</form>', re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def main_of(page: str) -> str:
    """The page's <main>: what the page says, without the signed-in header."""
    return page.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def hidden_fields(page: str, action: str, method: str = "post") -> dict[str, str]:
    """The hidden fields of the page's form that goes to `action` (it must be there)."""
    for found_method, found_action, body in _FORM.findall(page):
        if (found_method, html.unescape(found_action)) == (method, action):
            return {name: html.unescape(value) for name, value in _HIDDEN.findall(body)}
    raise AssertionError(f"no {method} form to {action} on the page")


def has_form(page: str, action: str, method: str = "post") -> bool:
    try:
        hidden_fields(page, action, method)
    except AssertionError:
        return False
    return True


@dataclass
class Site:
    """A browser on the broker, with the few things a test arranges beside it."""

    harness: Harness
    _made: int = 0

    @property
    def browser(self) -> httpx.AsyncClient:
        return self.harness.browser

    async def sign_in(
        self, role: WorkspaceRole = WorkspaceRole.USER, *, login: str | None = None
    ) -> Member:
        """A new member with this role, signed in (silently, with an Okta session)."""
        self.browser.cookies.clear()
        n = len(self.harness.passwords) + 1
        user = self.harness.okta_user(login or f"{role.value.replace('_', '')}{n}@example.com")
        member = self.harness.member_for(user, role)
        await self.harness.okta_session(user)
        journey = await self.harness.navigate(f"{BROKER}/auth/login")
        assert journey.final.status_code == 200, journey.urls()
        assert self.harness.session_cookie()
        return member

    async def csrf_token(self) -> str:
        """The session's form token, as the header's sign-out form carries it on every page."""
        found = re.search(r'name="csrf_token" value="([^"]+)"', (await self.get("/")).text)
        assert found, "no form token: is anyone signed in?"
        return found[1]

    async def get(self, path: str) -> httpx.Response:
        return await self.browser.get(f"{BROKER}{path}")

    async def submit(self, page: httpx.Response, action: str, **fields: str) -> httpx.Response:
        """Post the page's form to `action` with its hidden fields and `fields`; no redirect
        followed, so the test sees the POST's own answer."""
        data = {**hidden_fields(page.text, action), **fields}
        return await self.browser.post(f"{BROKER}{action}", data=data)

    async def submit_and_follow(
        self, page: httpx.Response, action: str, **fields: str
    ) -> httpx.Response:
        answer = await self.submit(page, action, **fields)
        assert answer.status_code == 303, answer.text
        return await self.browser.get(f"{BROKER}{answer.headers['location']}")

    # -- arranging --------------------------------------------------------------------------

    def connect_okta(self, *, token: str | None = None, enabled: bool = True) -> None:
        """The workspace pointed at the sandbox org (its real token unless told otherwise)."""
        with transaction(self.harness.ctx.sessions) as s:
            ws = self.harness.workspace_id
            workspaces.set_okta_domain(s, ws, ORG)
            workspaces.set_okta_token(
                s, ws, token or self.harness.org_ctx.api_token, vault=self.harness.vault
            )
            workspaces.set_extended_access(s, ws, enabled)

    def account(self, *shares: tuple[Member, ItemRole]) -> Account:
        with self.harness.build() as world:
            account = world.account()
            for who, role in shares:
                world.share(who, account, role)
        return account

    def extended(self, owner: Member, *shares: tuple[Member, ItemRole]) -> Account:
        """An account `owner` owns and has extended to Okta (the feature must be on)."""
        account = self.account((owner, ItemRole.OWNER), *shares)
        with transaction(self.harness.ctx.sessions) as s:
            extensions.extend_account(s, s.get_one(Member, owner.id), account.id)
        return account

    def clear_outbox(self) -> None:
        with transaction(self.harness.ctx.sessions) as s:
            s.execute(delete(SyncOutbox))

    def colleague(self, role: WorkspaceRole = WorkspaceRole.USER, *, okta: bool = True) -> Member:
        """A member who never signs in here."""
        self._made += 1
        n = self._made
        with transaction(self.harness.ctx.sessions) as s:
            return members.add_member(
                s,
                self.harness.workspace_id,
                f"colleague{n}@example.com",
                name=f"Colleague {n}",
                role=role,
                external_id=f"00ucolleague{n}" if okta else None,
            )

    def queued(self) -> set[str]:
        with self.harness.ctx.sessions() as s:
            return set(s.scalars(select(SyncOutbox.account_id)))


@pytest.fixture
def site(harness: Harness) -> Site:
    return Site(harness)
