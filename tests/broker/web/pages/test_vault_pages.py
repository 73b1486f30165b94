"""The vault pages as a browser drives them: the accounts list, add, edit, delete, sharing,
My Profile's extended accounts and the activity log, for each kind of member."""

from __future__ import annotations

import html
import re
import time

import httpx
import pytest

from broker import totp
from broker.models import ItemRole, Member, WorkspaceRole
from tests.broker.web.conftest import BROKER
from tests.broker.web.pages.conftest import Site, has_form, main_of

pytestmark = pytest.mark.anyio

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NEW = {
    "name": "Payroll",
    "app_name": "Gusto",
    "login_url": "https://app.gusto.example/login",
    "username": "ops@acme.example",
    "password": "hunter2-not-shown",
    "totp_secret": SECRET,
}


def text_of(page: str) -> str:
    """What the page's <main> says, as a reader hears it: no tags, spaces collapsed."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main_of(page))))


async def test_the_list_shows_what_each_member_may_see(site: Site) -> None:
    guest = site.colleague(WorkspaceRole.LOGIN_ONLY)
    me = await site.sign_in(WorkspaceRole.USER)
    mine = site.account((me, ItemRole.OWNER), (guest, ItemRole.COLLABORATOR))
    site.account()  # shared with nobody here

    for path in ("/", "/accounts"):
        page = await site.get(path)
        assert page.status_code == 200
        text = text_of(page.text)
        assert "1 account" in text
        assert f'href="/accounts/{mine.id}"' in page.text
        assert "https://demo.example.com" in text  # the login origin, not the path
        assert "Owner" in text
        assert "Not extended" in text
        assert 'href="/accounts/new"' in page.text
    header = page.text.split("<main", 1)[0]
    assert 'href="/accounts"' in header
    assert 'href="/activity"' in header

    await site.sign_in(WorkspaceRole.ADMIN)  # admins see only what is shared with them
    assert "No account is shared with you yet." in text_of((await site.get("/accounts")).text)


async def test_a_login_only_member_sees_the_rows_but_cannot_add_or_open(site: Site) -> None:
    guest = await site.sign_in(WorkspaceRole.LOGIN_ONLY)
    account = site.account((guest, ItemRole.COLLABORATOR))

    page = await site.get("/accounts")

    assert account.name in text_of(page.text)
    assert "Collaborator" in text_of(page.text)
    assert f'href="/accounts/{account.id}"' not in page.text
    assert 'href="/accounts/new"' not in page.text
    assert 'href="/activity"' not in page.text
    assert (await site.get("/accounts/new")).status_code == 403
    assert (await site.get("/activity")).status_code == 403


async def test_search_and_paging(site: Site) -> None:
    me = await site.sign_in(WorkspaceRole.USER)
    with site.harness.build() as world:
        for n in range(55):
            account = world.account()
            account.name = f"Tool {n:02d}" if n % 5 else f"Finance {n:02d}"
            world.share(me, account, ItemRole.COLLABORATOR)

    first = text_of((await site.get("/accounts")).text)
    second = await site.get("/accounts?page=2")
    found = text_of((await site.get("/accounts?q=FINANCE")).text)

    assert "55 accounts, page 1 of 2" in first
    assert "Next page" in first
    assert "55 accounts, page 2 of 2" in text_of(second.text)
    assert "11 accounts matching “FINANCE”" in found
    assert "Tool" not in found
    assert "No account matches “zzz”." in text_of((await site.get("/accounts?q=zzz")).text)
    assert (await site.get("/accounts?page=-3")).status_code == 200


async def test_add_shows_the_code_once_and_never_the_secret(site: Site) -> None:
    await site.sign_in(WorkspaceRole.USER)
    form = await site.get("/accounts/new")

    answer = await site.submit(form, "/accounts/new", **NEW)

    assert answer.status_code == 200
    text = text_of(answer.text)
    assert "The account “Payroll” is added" in text
    code = re.search(r'id="current-code"[^>]*>(\d{6})<', answer.text)
    assert code is not None
    now = time.time()
    key = totp.TotpKey.parse(SECRET)
    assert code.group(1) in {totp.code_at(key, now), totp.code_at(key, now - 30)}
    assert SECRET not in answer.text
    assert NEW["password"] not in answer.text
    listed = await site.get("/accounts")
    account_id = re.search(r'id="account-([^"]+)"', listed.text)
    assert account_id is not None
    detail = await site.get(f"/accounts/{account_id.group(1)}")
    assert detail.status_code == 200
    assert 'id="current-code"' not in detail.text
    edit = await site.get(f"/accounts/{account_id.group(1)}/edit")
    assert SECRET not in edit.text
    assert NEW["password"] not in edit.text
    assert "A code is set now." in edit.text


async def test_bad_input_marks_each_field_and_keeps_no_secret(site: Site) -> None:
    await site.sign_in(WorkspaceRole.USER)
    form = await site.get("/accounts/new")

    answer = await site.submit(
        form,
        "/accounts/new",
        **{
            **NEW,
            "name": " ",
            "login_url": "http://gusto.example/",
            "totp_secret": "otpauth://hotp/x",
        },
    )

    assert answer.status_code == 400
    text = text_of(answer.text)
    assert "Nothing was saved" in text
    assert 'id="name-error"' in answer.text
    assert 'id="login_url-error"' in answer.text
    assert 'id="totp_secret-error"' in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert "must use https" in text
    assert NEW["password"] not in answer.text
    assert 'value="http://gusto.example/"' in answer.text  # the URL is kept to correct it
    assert "No account is shared with you yet." in text_of((await site.get("/accounts")).text)


async def test_edit_is_for_owners_and_replaces_without_showing(site: Site) -> None:
    helper = site.colleague()
    owner = await site.sign_in(WorkspaceRole.USER)
    account = site.account((owner, ItemRole.OWNER), (helper, ItemRole.COLLABORATOR))
    page = await site.get(f"/accounts/{account.id}")
    assert f'href="/accounts/{account.id}/edit"' in page.text

    edit = await site.get(f"/accounts/{account.id}/edit")
    saved = await site.submit_and_follow(
        edit,
        f"/accounts/{account.id}/edit",
        name="Renamed",
        app_name="Demo",
        login_url="https://demo.example.com/login",
        username="someone",
        password="brand-new",
    )

    assert "The account is saved." in text_of(saved.text)
    assert "Renamed" in text_of(saved.text)
    assert "brand-new" not in saved.text
    assert (
        f'value="{account.username}"' not in (await site.get(f"/accounts/{account.id}/edit")).text
    )

    await site.sign_in(WorkspaceRole.USER)  # someone else, with no share
    assert (await site.get(f"/accounts/{account.id}/edit")).status_code == 404


async def test_a_collaborator_gets_no_edit_or_delete(site: Site) -> None:
    me = await site.sign_in(WorkspaceRole.USER)
    account = site.account((me, ItemRole.COLLABORATOR), (site.colleague(), ItemRole.OWNER))

    page = await site.get(f"/accounts/{account.id}")

    assert f'href="/accounts/{account.id}/sharing"' in page.text
    assert f'href="/accounts/{account.id}/edit"' not in page.text
    assert (await site.get(f"/accounts/{account.id}/edit")).status_code == 403
    assert (await site.get(f"/accounts/{account.id}/delete")).status_code == 403
    forged = await site.browser.post(
        f"{BROKER}/accounts/{account.id}/delete", data={"csrf_token": _csrf(page.text)}
    )
    assert forged.status_code == 403
    assert account.name in text_of((await site.get("/accounts")).text)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


async def test_delete_asks_first_then_deletes(site: Site) -> None:
    owner = await site.sign_in(WorkspaceRole.USER)
    account = site.account((owner, ItemRole.OWNER))

    confirm = await site.get(f"/accounts/{account.id}/delete")
    assert "<dialog open" in confirm.text
    assert f"Delete “{account.name}”?" in text_of(confirm.text)
    no_token = await site.browser.post(f"{BROKER}/accounts/{account.id}/delete", data={})
    assert no_token.status_code == 403
    done = await site.submit_and_follow(confirm, f"/accounts/{account.id}/delete")

    assert f"The account “{account.name}” is deleted." in text_of(done.text)
    assert "No account is shared with you yet." in text_of(done.text)
    assert (await site.get(f"/accounts/{account.id}")).status_code == 404
    again = await site.submit_and_follow(confirm, f"/accounts/{account.id}/delete")
    assert "That account no longer exists." in text_of(again.text)


async def test_sharing_shows_paths_and_counts_chiclets_before_an_extended_share(
    site: Site,
) -> None:
    site.connect_okta()
    ana = site.colleague()
    guest = site.colleague(WorkspaceRole.LOGIN_ONLY)
    owner = await site.sign_in(WorkspaceRole.USER)
    account = site.extended(owner)
    sharing = await site.get(f"/accounts/{account.id}/sharing")
    assert "This account is extended to Okta" in text_of(sharing.text)
    assert "Direct (owner)" in text_of(sharing.text)

    confirm = await site.submit(
        sharing,
        f"/accounts/{account.id}/sharing/share",
        subject=f"member:{ana.id}",
        role="collaborator",
    )
    assert confirm.status_code == 200
    assert "1 person will get this chiclet on their Okta dashboard." in text_of(confirm.text)
    assert ana.id not in _people(await site.get(f"/accounts/{account.id}/sharing"))

    done = await site.submit_and_follow(confirm, f"/accounts/{account.id}/sharing/share")
    assert f"{ana.name} is now Collaborator." in text_of(done.text)
    assert ana.name in text_of(done.text)
    assert account.id in site.queued()

    refused = await site.submit(
        done, f"/accounts/{account.id}/sharing/share", subject=f"member:{guest.id}", role="owner"
    )
    assert refused.status_code == 400
    assert "A Login-only member can only be a Collaborator." in text_of(refused.text)
    assert 'id="role-error"' in refused.text
    stranger = await site.submit(
        done, f"/accounts/{account.id}/sharing/share", subject="member:elsewhere", role="owner"
    )
    assert stranger.status_code == 400
    assert "There is no such member in this workspace." in text_of(stranger.text)
    with_guest = await site.submit(
        done, f"/accounts/{account.id}/sharing/share", subject=f"member:{guest.id}", role="x"
    )
    assert with_guest.status_code == 400  # an unknown role is refused, nothing shared
    shared = await site.submit(
        done,
        f"/accounts/{account.id}/sharing/share",
        subject=f"member:{guest.id}",
        role="collaborator",
    )
    confirmed = await site.submit_and_follow(shared, f"/accounts/{account.id}/sharing/share")
    assert f"Make Owner ({guest.name})" not in text_of(confirmed.text)  # never offered
    assert f"Make Owner ({ana.name})" in text_of(confirmed.text)

    removed = await site.submit_and_follow(
        done, f"/accounts/{account.id}/sharing/remove", subject=f"member:{ana.id}"
    )
    assert f"The share with {ana.name} is removed." in text_of(removed.text)
    last = await site.submit_and_follow(
        removed, f"/accounts/{account.id}/sharing/remove", subject=f"member:{owner.id}"
    )
    assert "This would leave nobody as Owner." in text_of(last.text)


def _people(page: httpx.Response) -> str:
    return page.text.split('id="people-title"', 1)[1].split("</section>", 1)[0]


async def test_collaborators_see_who_has_access_but_cannot_change_it(site: Site) -> None:
    me = await site.sign_in(WorkspaceRole.USER)
    boss = site.colleague()
    with site.harness.build() as world:
        collection = world.collection()
        account = world.account(within=collection)
        world.share(boss, account, ItemRole.OWNER)
        team = world.team(world.session.get_one(Member, me.id))
        world.share(team, collection, ItemRole.COLLABORATOR)

    page = await site.get(f"/accounts/{account.id}/sharing")

    assert page.status_code == 200
    text = text_of(page.text)
    assert f"Team “{team.name}” through collection “{collection.name}” (collaborator)" in text
    assert not has_form(page.text, f"/accounts/{account.id}/sharing/share")
    assert f'href="/collections/{collection.id}/sharing"' in page.text
    collection_page = await site.get(f"/collections/{collection.id}/sharing")
    assert collection_page.status_code == 200
    forged = await site.browser.post(
        f"{BROKER}/accounts/{account.id}/sharing/share",
        data={"csrf_token": _csrf(page.text), "subject": f"member:{me.id}", "role": "owner"},
    )
    assert forged.status_code == 403

    await site.sign_in(WorkspaceRole.ADMIN)
    assert (await site.get(f"/accounts/{account.id}/sharing")).status_code == 404
    assert (await site.get(f"/collections/{collection.id}/sharing")).status_code == 404


async def test_profile_lists_my_extended_accounts_with_their_state(site: Site) -> None:
    site.connect_okta()
    me = await site.sign_in(WorkspaceRole.USER)
    extended = site.extended(me)
    plain = site.account((me, ItemRole.OWNER))

    page = await site.get("/profile")

    text = text_of(page.text)
    assert "Your extended accounts" in text
    assert f"{extended.name} (Demo): Extended · Pending" in text
    assert f"/accounts/{plain.id}" not in page.text


async def test_activity_is_for_admins_in_full_and_for_owners_about_their_items(
    site: Site,
) -> None:
    owner = await site.sign_in(WorkspaceRole.USER)
    form = await site.get("/accounts/new")
    await site.submit(form, "/accounts/new", **{**NEW, "totp_secret": ""})
    site.account()  # someone else's

    mine = text_of((await site.get("/activity")).text)
    assert "account.created" in mine
    assert "share.granted" in mine
    assert mine.count("account.created") == 1
    assert NEW["password"] not in mine
    assert "Events of the accounts and collections you own" in mine

    await site.sign_in(WorkspaceRole.ADMIN)
    everything = await site.get("/activity")
    assert text_of(everything.text).count("account.created") == 2
    filtered = text_of((await site.get(f"/activity?kind=share&member={owner.id}")).text)
    assert "share.granted" in filtered
    assert "account.created" not in filtered
    bad = await site.get("/activity?kind=bogus")
    assert bad.status_code == 400
    assert "Choose a kind of event from the list." in text_of(bad.text)
