"""Extended accounts reach Okta: the app, its label and its assignments, kept in step."""

from __future__ import annotations

import pytest

from broker.models import SyncState
from tests.sync.conftest import Env, okta_ids

pytestmark = pytest.mark.anyio


async def test_extended_account_becomes_an_app_with_its_owner_assigned(env: Env) -> None:
    owner = env.person()
    account = env.extended(owner)

    tally = await env.sync()

    app = env.app(account)
    assert app.label == f"{account.name} - Demo"
    assert app.status == "ACTIVE"
    assert set(app.user_ids) == okta_ids(owner)
    extension = env.extension(account)
    assert extension is not None
    assert extension.okta_app_id == app.id
    assert extension.sync_state is SyncState.SYNCED
    assert extension.last_synced_at is not None
    assert env.queued() == set()
    assert (tally.apps_created, tally.assignments_added) == (1, 1)


async def test_share_added_to_a_user_assigns_them(env: Env) -> None:
    owner, reader = env.person(), env.person()
    account = env.extended(owner)
    await env.sync()

    with env.change() as world:
        world.share(reader, account)
    await env.sync()

    assert env.assigned(account) == okta_ids(owner, reader)
