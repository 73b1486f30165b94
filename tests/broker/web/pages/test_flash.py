"""One-shot flash messages (`broker.web.flash`): shown once, styled by kind, never from the URL."""

from __future__ import annotations

import re

import pytest

from broker.models import ItemRole, WorkspaceRole
from broker.web import flash
from tests.broker.web.pages.conftest import Site, main_of

pytestmark = pytest.mark.anyio


async def test_a_success_shows_once_and_a_reload_does_not_repeat_it(site: Site) -> None:
    site.connect_okta()
    me = await site.sign_in(WorkspaceRole.USER)
    site.extended(me)
    page = await site.get("/profile")

    after = await site.submit_and_follow(page, "/profile/sync")
    reload = await site.get("/profile")

    shown = main_of(after.text)
    assert 'class="flash flash-success" role="status"' in shown
    assert "1 extended account queued for sync with Okta." in shown
    assert 'id="flash"' not in reload.text
    assert flash.COOKIE not in site.browser.cookies


async def test_no_page_shows_an_empty_message_box(site: Site) -> None:
    await site.sign_in(WorkspaceRole.OWNER)

    for path in ("/", "/profile", "/settings", "/members"):
        page = await site.get(path)
        assert 'id="flash"' not in page.text, path
        assert 'role="status" aria-live="polite">\n</div>' not in page.text, path


@pytest.mark.parametrize(
    "query", ["queued=999", "done=extended", "done=enabled", "message=You+won", "flash=x"]
)
async def test_nothing_in_the_query_string_becomes_a_message(site: Site, query: str) -> None:
    await site.sign_in(WorkspaceRole.OWNER)

    for path in ("/profile", "/settings"):
        page = await site.get(f"{path}?{query}")
        text = main_of(page.text)
        assert 'id="flash"' not in text, (path, query)
        # As a word: the page's random CSRF token may well hold the digits 999.
        assert re.search(r"\b999\b", text) is None
        assert "You won" not in text
        assert "queued for sync" not in text
        assert "Extended account access is on." not in text


async def test_a_conflict_is_shown_as_an_error_not_a_success(site: Site) -> None:
    site.connect_okta()
    owner = await site.sign_in(WorkspaceRole.USER)
    account = site.extended(owner)
    page = await site.get(f"/accounts/{account.id}")  # drawn before someone removes it
    removing = await site.get(f"/accounts/{account.id}/remove")
    await site.submit_and_follow(removing, f"/accounts/{account.id}/remove")

    answer = await site.submit_and_follow(page, f"/accounts/{account.id}/sync")

    shown = main_of(answer.text)
    assert 'class="flash flash-error" role="alert"' in shown
    assert "This account is being removed from Okta." in shown
    assert "flash-success" not in shown


async def test_a_forged_or_tampered_cookie_shows_nothing(site: Site) -> None:
    site.connect_okta()
    me = await site.sign_in(WorkspaceRole.USER)
    site.extended(me)
    page = await site.get("/profile")
    answer = await site.submit(page, "/profile/sync")
    real = answer.cookies[flash.COOKIE]
    payload, _, signature = real.rpartition(".")
    site.browser.cookies.set(flash.COOKIE, real, domain="127.0.0.1", path="/")
    assert 'id="flash"' in (await site.get("/profile")).text  # the genuine one shows

    for forged in (f"{payload}.{signature[::-1]}", "eyJrIjoic3VjY2VzcyJ9.x.y", "x" * 5000):
        site.browser.cookies.set(flash.COOKIE, forged, domain="127.0.0.1", path="/")
        shown = await site.get("/profile")
        assert 'id="flash"' not in shown.text


async def test_a_message_set_for_one_session_is_not_shown_in_another(site: Site) -> None:
    site.connect_okta()
    me = await site.sign_in(WorkspaceRole.USER)
    site.extended(me, (site.colleague(), ItemRole.COLLABORATOR))
    page = await site.get("/profile")
    answer = await site.submit(page, "/profile/sync")
    carried = answer.cookies[flash.COOKIE]

    site.browser.cookies.set(flash.COOKIE, carried, domain="127.0.0.1", path="/")
    assert 'id="flash"' in (await site.get("/profile")).text  # in its own session it shows
    await site.sign_in(WorkspaceRole.USER)  # another person in this browser
    site.browser.cookies.set(flash.COOKIE, carried, domain="127.0.0.1", path="/")
    shown = await site.get("/profile")

    assert 'id="flash"' not in shown.text


async def test_the_flash_cookie_is_httponly_lax_and_short_lived(site: Site) -> None:
    site.connect_okta()
    me = await site.sign_in(WorkspaceRole.USER)
    site.extended(me)
    page = await site.get("/profile")

    answer = await site.submit(page, "/profile/sync")

    header = next(
        h for h in answer.headers.get_list("set-cookie") if h.startswith(f"{flash.COOKIE}=")
    )
    assert "HttpOnly" in header
    assert "SameSite=lax" in header
    assert "Max-Age=60" in header
