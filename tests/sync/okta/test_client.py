"""Every client call against the sandbox org: apps, assignments, groups and the token check."""

from __future__ import annotations

import pytest

from sandbox.org.state import OrgApp
from sandbox.seed import seed_user
from sync.okta.auth import SSWS
from sync.okta.client import OktaClient
from sync.okta.errors import BadRequest, InvalidToken
from sync.okta.models import OktaApp
from tests.sync.okta.sandbox_org import LAUNCH, ORG_URL, Org, launch_url

pytestmark = pytest.mark.anyio

OWNER = seed_user("owner").id
COLLAB = seed_user("collab").id


async def test_create_bookmark_app_makes_an_active_bookmark_with_the_launch_url(
    okta: OktaClient, org: Org
) -> None:
    app = await okta.create_bookmark_app("Shared mailbox - Gmail", launch_url("acc1"))

    assert (app.label, app.status, app.url) == ("Shared mailbox - Gmail", "ACTIVE", LAUNCH + "acc1")
    stored = await org.app_state(app.id)
    assert stored["name"] == "bookmark"
    assert stored["settings"]["app"] == {"url": LAUNCH + "acc1", "requestIntegration": False}


async def test_get_app_reads_the_app_and_answers_none_once_it_is_gone(okta: OktaClient) -> None:
    app = await okta.create_bookmark_app("Billing - Stripe", launch_url("acc2"))

    assert await okta.get_app(app.id) == app
    await okta.delete_app(app.id)
    assert await okta.get_app(app.id) is None


async def test_find_bookmark_apps_matches_the_launch_url_exactly(okta: OktaClient) -> None:
    wanted = await okta.create_bookmark_app("A - Site", launch_url("acc1"))
    await okta.create_bookmark_app("B - Site", launch_url("acc10"))  # a longer URL, same start

    assert await okta.find_bookmark_apps(launch_url("acc1")) == [wanted]
    assert await okta.find_bookmark_apps(launch_url("nothing")) == []


async def test_list_bookmark_apps_pages_through_all_and_filters_by_prefix(
    okta: OktaClient, org: Org
) -> None:
    created = [await okta.create_bookmark_app(f"App {i}", launch_url(f"a{i}")) for i in range(205)]
    foreign = await okta.create_bookmark_app("Not ours", "https://intranet.example/wiki")
    await org.control.delete("/calls")

    ours = await okta.list_bookmark_apps(LAUNCH)
    everything = await okta.list_bookmark_apps()

    assert {a.id for a in ours} == {a.id for a in created}
    assert {a.id for a in everything} == {a.id for a in created} | {foreign.id}
    assert (await org.calls())["apps"]["calls"] == 4  # 200 + 6 apps: two pages, twice


async def test_update_app_puts_the_whole_app_back_with_the_new_label(
    okta: OktaClient, org: Org
) -> None:
    app = await okta.create_bookmark_app("Old - Site", launch_url("acc1"))

    renamed = await okta.update_app(app, "New - Site", launch_url("acc1"))

    assert (renamed.id, renamed.label, renamed.url) == (app.id, "New - Site", app.url)
    assert (await org.app_state(app.id))["label"] == "New - Site"


async def test_update_app_restores_a_launch_url_changed_by_hand_with_the_same_label(
    okta: OktaClient, org: Org
) -> None:
    app = await okta.create_bookmark_app("Same - Site", launch_url("acc1"))
    moved = OktaApp.from_json({**app.raw, "settings": {"app": {"url": "https://evil.example"}}})

    restored = await okta.update_app(moved, "Same - Site", launch_url("acc1"))

    assert restored.url == launch_url("acc1")
    assert (await org.app_state(app.id))["settings"]["app"]["url"] == launch_url("acc1")


async def test_update_app_to_what_it_already_is_makes_no_call(okta: OktaClient) -> None:
    app = await okta.create_bookmark_app("Same - Site", launch_url("acc1"))

    assert await okta.update_app(app, "Same - Site", launch_url("acc1")) is app
    assert "app" not in okta.limiter.stats()  # no GET, PUT or DELETE of one app was made


async def test_a_label_okta_would_refuse_is_refused_before_any_call(okta: OktaClient) -> None:
    with pytest.raises(ValueError, match="1 to 100"):
        await okta.create_bookmark_app("x" * 101, launch_url("acc1"))
    assert okta.limiter.stats() == {}


async def test_delete_app_deactivates_an_active_app_first(okta: OktaClient, org: Org) -> None:
    app = await okta.create_bookmark_app("Doomed - Site", launch_url("acc1"))

    await okta.delete_app(app)

    assert all(a["id"] != app.id for a in (await org.state())["apps"])
    assert okta.limiter.stats()["apps"].calls == 2  # create, deactivate
    assert okta.limiter.stats()["app"].calls == 1  # DELETE


async def test_delete_app_of_an_inactive_app_skips_the_deactivation(
    okta: OktaClient, org: Org
) -> None:
    app = await okta.create_bookmark_app("Idle - Site", launch_url("acc1"))
    await okta.deactivate_app(app.id)
    inactive = await okta.get_app(app.id)
    assert inactive is not None
    assert inactive.status == "INACTIVE"
    deactivations = okta.limiter.stats()["apps"].calls

    await okta.delete_app(inactive)

    assert okta.limiter.stats()["apps"].calls == deactivations
    assert await okta.get_app(app.id) is None


async def test_delete_app_of_an_app_activated_again_since_it_was_read_still_deletes_it(
    okta: OktaClient, org: Org
) -> None:
    app = await okta.create_bookmark_app("Revived - Site", launch_url("acc1"))
    await okta.deactivate_app(app.id)
    stale = await okta.get_app(app.id)
    assert stale is not None
    await org.control.patch(f"/apps/{app.id}", json={"status": "ACTIVE"})  # by hand, meanwhile

    await okta.delete_app(stale)

    assert all(a["id"] != app.id for a in (await org.state())["apps"])


async def test_delete_app_of_an_app_already_gone_is_fine(okta: OktaClient) -> None:
    await okta.delete_app("0oagone0000000000000")
    app = await okta.create_bookmark_app("Twice - Site", launch_url("acc1"))
    await okta.delete_app(app)
    await okta.delete_app(app)


async def test_assign_and_unassign_users(okta: OktaClient, org: Org) -> None:
    app = await okta.create_bookmark_app("Team - Site", launch_url("acc1"))

    assert await okta.assign_user(app.id, OWNER) is True
    assert await okta.assign_user(app.id, COLLAB) is True
    assert await okta.list_app_user_ids(app.id) == {OWNER, COLLAB}
    assert await okta.unassign_user(app.id, COLLAB) is True

    assert (await org.app_state(app.id))["users"] == [OWNER]


async def test_assigning_an_assigned_user_again_is_success_not_an_error(okta: OktaClient) -> None:
    app = await okta.create_bookmark_app("Team - Site", launch_url("acc1"))
    await okta.assign_user(app.id, OWNER)

    assert await okta.assign_user(app.id, OWNER) is False  # 409 E0000062
    assert await okta.list_app_user_ids(app.id) == {OWNER}


async def test_unassigning_a_user_who_is_not_assigned_is_fine(okta: OktaClient) -> None:
    app = await okta.create_bookmark_app("Team - Site", launch_url("acc1"))

    assert await okta.unassign_user(app.id, OWNER) is False


async def test_list_app_user_ids_follows_next_links_to_an_empty_last_page(
    okta: OktaClient, org: Org
) -> None:
    app = await okta.create_bookmark_app("Crowd - Site", launch_url("acc1"))
    users = [org.ctx.state.add_user(f"user{i}@example.com") for i in range(1000)]
    for user in users:  # by hand, through the control plane's state: only the listing is timed
        org.ctx.state.apps[app.id].user_ids[user.id] = org.ctx.state.apps[app.id].created
    before = okta.limiter.stats()["apps"].calls

    ids = await okta.list_app_user_ids(app.id)

    assert ids == {u.id for u in users}
    # 1000 users at 500 a page: two full pages, and the third, empty, that the second links to.
    assert okta.limiter.stats()["apps"].calls - before == 3


async def test_list_app_user_ids_leaves_out_users_assigned_through_a_group_by_default(
    okta: OktaClient, org: Org
) -> None:
    app = await okta.create_bookmark_app("Mixed - Site", launch_url("acc1"))
    await okta.assign_user(app.id, OWNER)
    engineering = next(g for g in (await org.state())["groups"] if g["name"] == "Engineering")
    await okta.assign_group_to_app(app.id, engineering["id"])

    assert await okta.list_app_user_ids(app.id) == {OWNER}
    assert await okta.list_app_user_ids(app.id, scope=None) == set(engineering["members"])


async def test_group_strategy_calls(okta: OktaClient, org: Org) -> None:
    app = await okta.create_bookmark_app("Grouped - Site", launch_url("acc1"))

    group = await okta.create_group("Latchkey acc1", "Managed by Latchkey")
    await okta.add_group_member(group.id, OWNER)
    await okta.add_group_member(group.id, COLLAB)
    await okta.assign_group_to_app(app.id, group.id)
    assert await okta.remove_group_member(group.id, COLLAB) is True
    assert await okta.remove_group_member(group.id, "00unobody00000000000") is False

    assert (group.name, group.description) == ("Latchkey acc1", "Managed by Latchkey")
    assert await okta.find_groups("latchkey ACC1") == [group]
    assert await okta.find_groups("Latchkey acc") == []
    assert await okta.list_group_member_ids(group.id) == {OWNER}
    assert await okta.list_app_group_ids(app.id) == {group.id}
    assert await okta.list_app_user_ids(app.id, scope=None) == {OWNER}

    await okta.delete_group(group.id)
    await okta.delete_group(group.id)  # gone already: fine
    assert await okta.find_groups("Latchkey acc1") == []
    assert await okta.list_app_group_ids(app.id) == set()


async def test_a_second_group_with_the_same_name_is_a_bad_request(okta: OktaClient) -> None:
    await okta.create_group("Latchkey dup", "")

    with pytest.raises(BadRequest) as refused:
        await okta.create_group("LATCHKEY DUP", "")
    assert refused.value.error_code == "E0000001"
    assert refused.value.causes


async def test_find_groups_quotes_names_with_quotes_and_backslashes(okta: OktaClient) -> None:
    group = await okta.create_group('Say "hi" \\ bye', "")

    assert await okta.find_groups('Say "hi" \\ bye') == [group]


async def test_check_token_passes_with_a_good_token_and_raises_invalid_token_otherwise(
    okta: OktaClient, org: Org
) -> None:
    await okta.check_token()

    async with OktaClient(ORG_URL, SSWS("00not-the-token"), transport=org.transport) as bad:
        with pytest.raises(InvalidToken) as refused:
            await bad.check_token()
    assert (refused.value.status, refused.value.error_code) == (401, "E0000011")


async def test_apps_that_are_not_bookmarks_are_never_listed(okta: OktaClient, org: Org) -> None:
    oidc = OrgApp(id="0oaoidc0000000000000", name="oidc_client", label="x", sign_on_mode="OIDC")
    org.ctx.state.apps[oidc.id] = oidc
    mine = await okta.create_bookmark_app("Mine - Site", launch_url("acc1"))

    assert [a.id for a in await okta.list_bookmark_apps()] == [mine.id]


def test_okta_app_reads_label_status_and_url_from_the_json() -> None:
    app = OktaApp.from_json(
        {"id": "0oa1", "name": "bookmark", "label": "L", "status": "INACTIVE", "settings": {}}
    )

    assert (app.id, app.label, app.status, app.url, app.active) == (
        "0oa1",
        "L",
        "INACTIVE",
        None,
        False,
    )
