"""Okta's Group Push through the broker's SCIM server reaches the Okta apps of the team's
accounts: the path a real deployment takes, from Okta's SCIM client to the next sync pass."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from broker.models import Team
from sandbox.org.scim_client import ScimClient
from sandbox.org.state import OrgGroup, OrgUser
from tests.sync.conftest import Env, okta_ids

pytestmark = pytest.mark.anyio


def org_user(env: Env, name: str) -> OrgUser:
    with env.org.state.locked() as state:
        return state.add_user(f"{name}@example.com", first_name=name.title(), last_name="Test")


def team_named(env: Env, name: str) -> Team:
    with env.db.sessions() as session:
        team = session.scalar(select(Team).where(Team.name == name))
    assert team is not None
    return team


async def test_group_push_membership_changes_reach_the_app(env: Env, okta_scim: ScimClient) -> None:
    owner = env.person()
    alice, bob = org_user(env, "alice"), org_user(env, "bob")
    engineering = OrgGroup("00gengineering000001", "Engineering")
    await okta_scim.push_group(engineering, [alice])
    account = env.extended(owner)
    with env.change() as world:
        world.share(team_named(env, "Engineering"), account)
    await env.sync()
    assert env.assigned(account) == okta_ids(owner) | {alice.id}

    await okta_scim.push_group(engineering, [alice, bob])
    await env.sync()
    assert env.assigned(account) == okta_ids(owner) | {alice.id, bob.id}

    await okta_scim.push_group(engineering, [bob])
    await env.sync()
    assert env.assigned(account) == okta_ids(owner) | {bob.id}

    await okta_scim.deactivate_user(bob)
    await env.sync()
    assert env.assigned(account) == okta_ids(owner)


async def test_a_pushed_group_deleted_in_okta_takes_its_members_off_the_app(
    env: Env, okta_scim: ScimClient
) -> None:
    owner, alice = env.person(), org_user(env, "alice")
    engineering = OrgGroup("00gengineering000002", "Engineering")
    await okta_scim.push_group(engineering, [alice])
    account = env.extended(owner)
    with env.change() as world:
        world.share(team_named(env, "Engineering"), account)
    await env.sync()
    assert env.assigned(account) == okta_ids(owner) | {alice.id}

    await okta_scim.delete_group(engineering)
    await env.sync()

    assert env.assigned(account) == okta_ids(owner)
    assert env.queued() == set()
