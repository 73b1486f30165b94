"""Sync keeps the broker's own OIDC app assigned to everyone with a chiclet (Okta refuses to sign
in a user who is not assigned to the OIDC app)."""

from __future__ import annotations

import pytest

from broker.services import shares
from broker.services.shares import Subject, Target
from sandbox.org.state import OidcClient, OrgApp, OrgGroup
from sync.broker_access import GROUP_NAME, BrokerAccess, BrokerAccessSettings
from tests.sync.conftest import Env, okta_ids

pytestmark = pytest.mark.anyio

BROKER_APP = "0oaLatchkeyBroker001"


def broker_app(env: Env) -> OrgApp:
    with env.org.state.locked() as state:
        if BROKER_APP not in state.apps:
            client = OidcClient(BROKER_APP, "secret", ["http://broker.test/auth/callback"])
            state.add_oidc_client(client, assign_everyone=False)
        return state.apps[BROKER_APP]


def managed_group(env: Env) -> OrgGroup | None:
    with env.org.state.locked() as state:
        return next((g for g in state.groups.values() if g.name == GROUP_NAME), None)


def may_sign_in(env: Env, okta_id: str) -> bool:
    with env.org.state.locked() as state:
        return state.is_assigned(broker_app(env), okta_id)


async def test_the_group_option_keeps_latchkey_users_exactly_those_with_a_chiclet(
    env: Env,
) -> None:
    app = broker_app(env)
    settings = BrokerAccessSettings(BrokerAccess.GROUP, BROKER_APP)
    worker = env.make_worker(broker_access=settings)
    owner, reader, bystander = env.person(), env.person(), env.person()
    account = env.extended(owner)
    with env.change() as world:
        world.share(reader, account)

    tally = await worker.full_pass()

    group = managed_group(env)
    assert group is not None
    assert group.id in app.group_ids
    assert group.member_ids == okta_ids(owner, reader)
    assert tally.errors == []
    assert not may_sign_in(env, bystander.external_id or "")

    # A new chiclet: the next round of changed accounts lets them in, before any full pass.
    with env.change() as world:
        world.share(bystander, account)
    await env.sync(worker)
    assert group.member_ids == okta_ids(owner, reader, bystander)

    with env.change() as world:
        shares.unshare(
            world.session,
            world.workspace.id,
            Subject(member_id=reader.id),
            Target(account_id=account.id),
        )
    await worker.full_pass()
    assert group.member_ids == okta_ids(owner, bystander)
    assert not may_sign_in(env, reader.external_id or "")


async def test_the_users_option_assigns_directly_and_skips_who_holds_it_already(
    env: Env,
) -> None:
    app = broker_app(env)
    owner, reader = env.person(), env.person()
    account = env.extended(owner)
    with env.change() as world:
        world.share(reader, account)
    with env.org.state.locked() as state:  # the admin assigned the reader through a group
        team = state.add_group("Support")
        team.member_ids.add(reader.external_id or "")
        app.group_ids[team.id] = team.created
    worker = env.make_worker(broker_access=BrokerAccessSettings(BrokerAccess.USERS, BROKER_APP))

    await worker.full_pass()
    second = await worker.full_pass()

    assert set(app.user_ids) == okta_ids(owner)
    assert may_sign_in(env, reader.external_id or "")
    assert second.errors == []


async def test_without_the_option_the_broker_app_is_left_to_the_admin(env: Env) -> None:
    app = broker_app(env)
    owner = env.person()
    env.extended(owner)

    await env.worker.full_pass()

    assert (app.user_ids, app.group_ids) == ({}, {})
    assert managed_group(env) is None


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, BrokerAccessSettings(BrokerAccess.OFF, "0oaClient")),
        (
            {"LATCHKEY_SYNC_BROKER_ACCESS": "Group"},
            BrokerAccessSettings(BrokerAccess.GROUP, "0oaClient"),
        ),
        (
            {"LATCHKEY_SYNC_BROKER_ACCESS": "users", "LATCHKEY_SYNC_BROKER_APP_ID": "0oaApp"},
            BrokerAccessSettings(BrokerAccess.USERS, "0oaApp"),
        ),
    ],
)
def test_the_option_is_read_from_the_environment(
    environ: dict[str, str], expected: BrokerAccessSettings
) -> None:
    assert BrokerAccessSettings.from_env("0oaClient", environ) == expected


def test_an_unknown_option_value_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="off, users, group"):
        BrokerAccessSettings.from_env("0oaClient", {"LATCHKEY_SYNC_BROKER_ACCESS": "all"})
