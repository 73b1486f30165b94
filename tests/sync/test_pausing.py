"""Syncing stops when the feature is off or Okta refuses the token, and resumes when fixed."""

from __future__ import annotations

import secrets

import pytest

from broker.models import TokenStatus
from broker.services import accounts, extensions, workspaces
from tests.sync.conftest import Env, okta_ids

pytestmark = pytest.mark.anyio


def feature(env: Env, on: bool) -> None:
    with env.change() as world:
        workspaces.set_extended_access(world.session, world.workspace.id, on)


async def test_feature_off_stops_assigning_and_keeps_apps(env: Env) -> None:
    owner, reader = env.person(), env.person()
    account = env.extended(owner)
    await env.sync()
    feature(env, False)

    with env.change() as world:
        world.share(reader, account)
        accounts.rename_account(world.session, world.workspace.id, account.id, name="Payroll")
    tally = await env.sync()

    assert tally.total_calls == 0
    assert env.assigned(account) == okta_ids(owner)
    assert env.app(account).label == f"{account.name} - Demo"


async def test_feature_off_still_removes_apps(env: Env) -> None:
    owner = env.person()
    removed, deleted = env.extended(owner), env.extended(owner)
    await env.sync()
    feature(env, False)

    with env.change() as world:
        extensions.remove_from_okta(world.session, world.session.merge(owner), removed.id)
        accounts.delete_account(world.session, world.workspace.id, deleted.id)
    await env.sync()

    assert env.apps(removed) == env.apps(deleted) == []


async def test_feature_on_again_catches_up(env: Env) -> None:
    owner, reader = env.person(), env.person()
    account = env.extended(owner)
    await env.sync()
    feature(env, False)
    with env.change() as world:
        world.share(reader, account)
    await env.sync()

    feature(env, True)
    await env.sync()

    assert env.assigned(account) == okta_ids(owner, reader)


async def test_refused_token_pauses_the_workspace_until_a_new_one_is_set(env: Env) -> None:
    owner, reader = env.person(), env.person()
    account = env.extended(owner)
    await env.sync()
    new_token = secrets.token_urlsafe(30)
    env.org.api_token = new_token  # revoked in Okta
    with env.change() as world:
        world.share(reader, account)

    refused = await env.sync()
    assert refused.paused_workspaces == 1
    assert env.workspace().okta_token_status is TokenStatus.INVALID
    assert env.queued() == {account.id}
    # Paused: nothing is claimed, so nothing is called.
    assert (await env.sync(later=True)).total_calls == 0
    assert (await env.worker.full_pass()).total_calls == 0

    with env.change() as world:
        workspaces.set_okta_token(world.session, world.workspace.id, new_token, vault=env.vault)
    await env.sync()

    assert env.assigned(account) == okta_ids(owner, reader)
    assert env.workspace().okta_token_status is TokenStatus.OK
    assert env.queued() == set()
