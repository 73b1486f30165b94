"""Okta groups of pushed teams: one group assignment where every member of the Okta group may
launch the account, one by one otherwise; exact after every sync, checked on the sandbox's
dashboard (what each person's Okta home page shows)."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from sqlalchemy import select

from broker.models import Account, Member, Team, WorkspaceRole
from broker.services import shares
from broker.services.shares import Subject, Target
from sandbox.org.dashboard import chiclets
from sandbox.org.scim_client import ScimClient
from sandbox.org.state import OrgGroup, OrgUser
from sync.okta_groups import GroupFacts, Unfit, choose, okta_groups_from_env
from sync.plan import AssignGroup, AssignUser, RevokeGroup, UnassignUser, diff, phases
from sync.state import ActualApp, DesiredApp, Strategy
from tests.sync.conftest import Env, okta_ids

pytestmark = pytest.mark.anyio


class Recorder(httpx.AsyncBaseTransport):
    """The calls sync sends to the org, in order."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.calls: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path))
        return await self.inner.handle_async_request(request)


def user_of(env: Env, member: Member) -> OrgUser:
    return env.org.state.users[member.external_id or ""]


def dashboard(env: Env, member: Member | OrgUser) -> set[str]:
    """The app ids on the person's Okta dashboard."""
    user_id = member.id if isinstance(member, OrgUser) else member.external_id or ""
    return {c.app_id for c in chiclets(env.org.state, user_id)}


async def push(env: Env, scim: ScimClient, group: OrgGroup, *people: Member) -> None:
    """People join the Okta group, and Okta's Group Push tells the broker."""
    with env.org.state.locked():
        group.member_ids |= okta_ids(*people)
    members = [user_of(env, p) for p in sorted(people, key=lambda p: p.email)]
    await scim.push_group(group, members)


async def pushed_team(env: Env, scim: ScimClient, name: str, *people: Member) -> OrgGroup:
    with env.org.state.locked() as state:
        group = state.add_group(name)
    await push(env, scim, group, *people)
    return group


def team_named(env: Env, name: str) -> Team:
    with env.db.sessions() as session:
        team = session.scalar(select(Team).where(Team.name == name))
    assert team is not None
    return team


async def shared_with_team(env: Env, scim: ScimClient, *people: Member) -> tuple[OrgGroup, str]:
    """An account owned by the first person, shared with a pushed team of them all."""
    group = await pushed_team(env, scim, "Engineering", *people)
    account = env.extended(people[0])
    with env.change() as world:
        world.share(team_named(env, "Engineering"), account)
    return group, account.id


async def test_a_team_whose_every_member_may_launch_gets_one_group_assignment(
    env: Env, okta_scim: ScimClient
) -> None:
    alice, bob = env.person(), env.person()
    group, account_id = await shared_with_team(env, okta_scim, alice, bob)

    tally = await env.sync()

    app = env.app(_account(env, account_id))
    assert set(app.group_ids) == {group.id}
    assert app.user_ids == {}
    assert (tally.groups_assigned, tally.assignments_added) == (1, 0)
    assert app.id in dashboard(env, alice)
    assert app.id in dashboard(env, bob)
    extension = env.extension(_account(env, account_id))
    assert extension is not None
    assert extension.okta_assignment is not None
    assert extension.okta_assignment["groups"] == [
        {"id": group.id, "name": "Engineering", "people": 2}
    ]
    assert extension.okta_assignment["individual"] == 0


async def test_a_login_only_member_joining_the_group_falls_back_to_individual_assignments(
    env: Env, okta_scim: ScimClient
) -> None:
    alice, bob = env.person(), env.person()
    carol = env.person(role=WorkspaceRole.LOGIN_ONLY)
    group, account_id = await shared_with_team(env, okta_scim, alice, bob)
    await env.sync()
    app_id = env.app(_account(env, account_id)).id

    await push(env, okta_scim, group, alice, bob, carol)
    # Okta grants the app to everyone in the group at once: until the next sync only the
    # broker's launch check (RBAC) keeps her out.
    assert app_id in dashboard(env, carol)
    recorder = Recorder(env.transport)
    tally = await env.sync(env.make_worker(transport=recorder))

    app = env.app(_account(env, account_id))
    assert app.group_ids == {}
    assert set(app.user_ids) == okta_ids(alice, bob)
    assert app_id not in dashboard(env, carol)
    assert app_id in dashboard(env, alice)
    assert app_id in dashboard(env, bob)
    assert (tally.failed, tally.retrying, tally.groups_unassigned) == (0, 0, 1)
    # The group goes before anyone is assigned: she loses the chiclet with the first write.
    writes = [c for c in recorder.calls if c[0] != "GET"]
    assert writes[0] == ("DELETE", f"/api/v1/apps/{app_id}/groups/{group.id}")
    assert sorted(writes[1:]) == [("POST", f"/api/v1/apps/{app_id}/users")] * 2
    extension = env.extension(_account(env, account_id))
    assert extension is not None
    assert extension.okta_assignment is not None
    assert extension.okta_assignment["groups"] == []
    assert extension.okta_assignment["unfit"] == [{"name": "Engineering", "outside": 1}]

    # She leaves the group: it is fit again and assigned; the direct assignments the fallback
    # made stay (Okta refuses to remove one while a group grants the app, 403 E0000046).
    with env.org.state.locked():
        group.member_ids.discard(carol.external_id or "")
    await okta_scim.push_group(group, [user_of(env, alice), user_of(env, bob)])
    tally = await env.sync()
    app = env.app(_account(env, account_id))
    assert set(app.group_ids) == {group.id}
    assert (tally.failed, tally.retrying) == (0, 0)
    assert app_id not in dashboard(env, carol)


async def test_someone_never_provisioned_to_latchkey_in_the_group_makes_it_fall_back(
    env: Env, okta_scim: ScimClient
) -> None:
    alice, bob = env.person(), env.person()
    group, account_id = await shared_with_team(env, okta_scim, alice, bob)
    await env.sync()
    with env.org.state.locked() as state:
        # Not assigned to Latchkey's SCIM app: Okta pushes nothing about him.
        dave = state.add_user("dave@example.com", first_name="Dave")
        group.member_ids.add(dave.id)
    app_id = env.app(_account(env, account_id)).id
    assert app_id in dashboard(env, dave)

    tally = await env.worker.full_pass()

    app = env.app(_account(env, account_id))
    assert app.group_ids == {}
    assert set(app.user_ids) == okta_ids(alice, bob)
    assert app_id not in dashboard(env, dave)
    assert (tally.failed, tally.retrying) == (0, 0)


async def test_a_team_membership_change_with_the_group_fit_makes_no_call_for_the_app(
    env: Env, okta_scim: ScimClient
) -> None:
    alice, bob, erin = env.person(), env.person(), env.person()
    group, account_id = await shared_with_team(env, okta_scim, alice, bob)
    await env.sync()
    app_id = env.app(_account(env, account_id)).id

    await push(env, okta_scim, group, alice, bob, erin)
    assert _account(env, account_id).id in env.queued()
    tally = await env.sync()

    # Only the group's members are listed (the group the last sync found by the team's name):
    # nothing for the app, no write. Okta itself gave her the chiclet when she joined the group.
    assert tally.calls == {"groups": 1}
    assert (tally.synced, tally.assignments_added, tally.groups_assigned) == (1, 0, 0)
    assert app_id in dashboard(env, erin)
    assert env.queued() == set()


async def test_people_the_group_does_not_cover_are_assigned_one_by_one(
    env: Env, okta_scim: ScimClient
) -> None:
    alice, bob, solo = env.person(), env.person(), env.person()
    group, account_id = await shared_with_team(env, okta_scim, alice, bob)
    with env.change() as world:
        world.share(solo, _account(env, account_id))

    await env.sync()

    app = env.app(_account(env, account_id))
    assert set(app.group_ids) == {group.id}
    assert set(app.user_ids) == okta_ids(solo)

    # Her share ends: her direct assignment goes, the group stays.
    with env.change() as world:
        shares.unshare(
            world.session,
            world.workspace.id,
            Subject(member_id=solo.id),
            Target(account_id=account_id),
        )
    await env.sync()
    app = env.app(_account(env, account_id))
    assert set(app.group_ids) == {group.id}
    assert app.user_ids == {}
    assert app.id not in dashboard(env, solo)


async def test_with_okta_groups_off_every_member_is_assigned_one_by_one(
    env: Env, okta_scim: ScimClient
) -> None:
    alice, bob = env.person(), env.person()
    _, account_id = await shared_with_team(env, okta_scim, alice, bob)

    tally = await env.sync(env.make_worker(okta_groups=False))

    app = env.app(_account(env, account_id))
    assert app.group_ids == {}
    assert set(app.user_ids) == okta_ids(alice, bob)
    assert "groups" not in tally.calls


@pytest.mark.parametrize("strategy", [Strategy.INDIVIDUAL, Strategy.GROUP])
async def test_switching_a_team_on_and_off_the_account_converges(
    env: Env, okta_scim: ScimClient, strategy: Strategy
) -> None:
    worker = env.make_worker(strategy)
    alice, bob, solo = env.person(), env.person(), env.person()
    group, account_id = await shared_with_team(env, okta_scim, alice, bob)
    with env.change() as world:
        world.share(solo, _account(env, account_id))
    for _ in range(2):
        tally = await worker.full_pass()
        assert (tally.failed, tally.retrying, tally.errors) == (0, 0, [])
    assert group.id in env.app(_account(env, account_id)).group_ids

    with env.change() as world:
        shares.unshare(
            world.session,
            world.workspace.id,
            Subject(team_id=team_named(env, "Engineering").id),
            Target(account_id=account_id),
        )
    tally = await env.sync(worker)
    assert (tally.failed, tally.retrying, tally.errors) == (0, 0, [])
    app = env.app(_account(env, account_id))
    assert group.id not in app.group_ids
    assert app.id in dashboard(env, alice)  # she owns it
    assert app.id not in dashboard(env, bob)
    assert app.id in dashboard(env, solo)


def _account(env: Env, account_id: str) -> Account:
    with env.db.sessions() as session:
        return session.get_one(Account, account_id)


# -- the pure parts ------------------------------------------------------------------------------


def test_a_group_is_fit_only_when_not_empty_and_every_member_is_allowed() -> None:
    fit = GroupFacts("00g1", "Engineering", frozenset({"u1", "u2"}))
    outsider = GroupFacts("00g2", "Sales", frozenset({"u1", "u9"}))
    empty = GroupFacts("00g3", "Empty", frozenset())

    choice = choose(frozenset({"u1", "u2", "u3"}), [outsider, empty, fit])

    assert choice.fit == (fit,)
    assert [why for _, why in choice.unfit] == [Unfit("Empty", 0), Unfit("Sales", 1)]


def test_an_unfit_group_is_removed_before_anyone_is_assigned() -> None:
    desired = DesiredApp(
        "acc",
        "Mail - Demo",
        "http://broker/launch/acc",
        frozenset({"u1", "u2"}),
        unfit_groups=frozenset({"00g1"}),
    )
    actual = ActualApp(
        "0oa1",
        "Mail - Demo",
        "ACTIVE",
        "http://broker/launch/acc",
        frozenset({"u9"}),
        group_ids=frozenset({"00g1"}),
        group_holders=frozenset({"u1", "u2", "u3"}),
    )

    runs = phases(diff(desired, actual))

    assert runs == [
        [RevokeGroup("acc", "0oa1", "00g1")],
        [AssignUser("acc", "0oa1", "u1"), AssignUser("acc", "0oa1", "u2")],
        [UnassignUser("acc", "0oa1", "u9")],
    ]


def test_covered_users_get_the_group_and_keep_a_direct_assignment_they_hold() -> None:
    desired = dataclasses.replace(
        DesiredApp("acc", "Mail - Demo", "http://broker/launch/acc", frozenset({"u1", "u2"})),
        okta_groups=frozenset({"00g1"}),
        covered=frozenset({"u1", "u2"}),
    )
    actual = ActualApp(
        "0oa1", "Mail - Demo", "ACTIVE", "http://broker/launch/acc", frozenset({"u1"})
    )

    assert diff(desired, actual) == [AssignGroup("acc", "0oa1", "00g1")]


@pytest.mark.parametrize(
    ("value", "on"), [("", True), ("on", True), ("OFF", False), (" off ", False)]
)
def test_okta_groups_are_on_unless_turned_off(value: str, on: bool) -> None:
    assert okta_groups_from_env({"LATCHKEY_SYNC_OKTA_GROUPS": value}) is on


def test_a_misspelt_okta_groups_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="on or off"):
        okta_groups_from_env({"LATCHKEY_SYNC_OKTA_GROUPS": "yes"})


@pytest.mark.parametrize("who", ["guest", "deactivated"])
async def test_a_guest_or_a_deactivated_member_in_the_group_makes_it_fall_back(
    env: Env, okta_scim: ScimClient, who: str
) -> None:
    alice, bob = env.person(), env.person()
    if who == "guest":
        carol = env.person(role=WorkspaceRole.GUEST)
    else:
        carol = env.person(active=False)
        user_of(env, carol).status = "SUSPENDED"  # the push keeps her inactive in Latchkey
    group, account_id = await shared_with_team(env, okta_scim, alice, bob)
    await env.sync()

    await push(env, okta_scim, group, alice, bob, carol)
    tally = await env.sync()

    app = env.app(_account(env, account_id))
    assert app.group_ids == {}
    assert set(app.user_ids) == okta_ids(alice, bob)
    assert app.id not in dashboard(env, carol)
    assert (tally.failed, tally.retrying) == (0, 0)


async def test_a_group_deleted_and_made_again_under_the_same_name_is_found_again(
    env: Env, okta_scim: ScimClient
) -> None:
    alice, bob = env.person(), env.person()
    group, account_id = await shared_with_team(env, okta_scim, alice, bob)
    await env.sync()
    with env.org.state.locked() as state:
        state.remove_group(group.id)  # its app assignments go with it
        again = state.add_group("Engineering")
        again.member_ids |= okta_ids(alice, bob)

    tally = await env.worker.full_pass()

    app = env.app(_account(env, account_id))
    assert set(app.group_ids) == {again.id}
    assert (tally.failed, tally.retrying) == (0, 0)


def _searches(recorder: Recorder) -> int:
    return sum(1 for method, path in recorder.calls if (method, path) == ("GET", "/api/v1/groups"))


def _listings(recorder: Recorder, group_id: str) -> int:
    return recorder.calls.count(("GET", f"/api/v1/groups/{group_id}/users"))


async def test_a_worker_finds_a_teams_group_once_and_lists_its_members_every_round(
    env: Env, okta_scim: ScimClient
) -> None:
    alice, bob = env.person(), env.person()
    group, first = await shared_with_team(env, okta_scim, alice, bob)
    recorder = Recorder(env.transport)
    worker = env.make_worker(transport=recorder)
    await env.sync(worker)

    def share_another() -> str:
        account = env.extended(alice)
        with env.change() as world:
            world.share(team_named(env, group.name), account)
        return account.id

    second = share_another()
    await env.sync(worker)  # a round of its own: the account has no recorded group yet

    assert _searches(recorder) == 1
    assert _listings(recorder, group.id) == 2  # once a round: who is in it may change anytime
    assert set(env.app(_account(env, second)).group_ids) == {group.id}

    # The team renamed (and its Okta group with it): looked up again by its new name.
    with env.org.state.locked():
        group.name = "Platform"
    await okta_scim.push_group(group, [user_of(env, alice), user_of(env, bob)])
    third = share_another()
    await env.sync(worker)
    assert _searches(recorder) == 2
    assert set(env.app(_account(env, third)).group_ids) == {group.id}

    # The group deleted in Okta and made again: its id answers 404, so the name is searched again.
    with env.org.state.locked() as state:
        state.remove_group(group.id)
        again = state.add_group("Platform")
        again.member_ids |= okta_ids(alice, bob)
    fourth = share_another()
    tally = await env.sync(worker)
    assert _searches(recorder) == 3
    assert set(env.app(_account(env, fourth)).group_ids) == {again.id}
    assert (tally.failed, tally.retrying) == (0, 0)
    assert first != second
