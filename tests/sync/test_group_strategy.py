"""The group strategy: one Latchkey-owned Okta group per app, membership through groups."""

from __future__ import annotations

import pytest

from broker.services import accounts, shares
from broker.services.shares import Subject, Target
from sandbox.org.state import OrgGroup
from sync.state import Strategy, group_name
from tests.sync.conftest import Env, okta_ids

pytestmark = pytest.mark.anyio


def group_of(env: Env, account_id: str) -> OrgGroup | None:
    with env.org.state.locked() as state:
        found = [g for g in state.groups.values() if g.name == group_name(account_id)]
    assert len(found) <= 1
    return found[0] if found else None


async def test_users_reach_the_app_through_its_group(env: Env) -> None:
    worker = env.make_worker(Strategy.GROUP)
    owner, reader = env.person(), env.person()
    account = env.extended(owner)
    with env.change() as world:
        world.share(reader, account)

    await env.sync(worker)

    group = group_of(env, account.id)
    assert group is not None
    assert group.member_ids == okta_ids(owner, reader)
    app = env.app(account)
    assert set(app.group_ids) == {group.id}
    assert app.user_ids == {}

    with env.change() as world:
        shares.unshare(
            world.session,
            world.workspace.id,
            Subject(member_id=reader.id),
            Target(account_id=account.id),
        )
    tally = await env.sync(worker)
    assert group.member_ids == okta_ids(owner)
    assert tally.members_removed == 1

    with env.change() as world:
        accounts.delete_account(world.session, world.workspace.id, account.id)
    await env.sync(worker)
    assert env.apps(account) == []
    assert group_of(env, account.id) is None
