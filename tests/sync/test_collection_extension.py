"""A collection extended to Okta needs nothing new from sync: each of its accounts has its own
extension and outbox row, so one pass makes an app per account with the assignments the
collection's shares give, an account arriving later gets its app on the next pass, and *Remove
from Okta* on the collection deletes only the apps that collection alone kept there."""

from __future__ import annotations

import pytest

from broker.models import Collection, ItemRole, Member
from broker.services import collection_extensions, collections, extensions
from tests.sync.conftest import Env, okta_ids

pytestmark = pytest.mark.anyio


async def test_a_collection_extended_syncs_an_app_per_account_and_removal_keeps_the_right_ones(
    env: Env,
) -> None:
    owner, reader = env.person(), env.person()
    with env.change() as world:
        top = world.collection()
        child = world.collection(top)
        in_top = world.account(within=top)
        nested = world.account(within=child)
        own = world.account(within=top)
        for account in (in_top, nested, own):
            world.share(owner, account, ItemRole.OWNER)
        world.share(owner, top, ItemRole.OWNER)
        world.share(reader, top)
        session = world.session
        extensions.extend_account(session, session.merge(owner), own.id)
        collection_extensions.extend_collection(session, session.merge(owner), top.id)
        top_id = top.id

    await env.sync()

    for account in (in_top, nested, own):
        assert env.assigned(account) == okta_ids(owner, reader), account.name
        extension = env.extension(account)
        assert extension is not None
        assert extension.sync_state.value == "synced"

    with env.change() as world:  # an account created into the extended collection later
        later = world.account(within=world.session.get_one(Collection, child.id))
        world.share(owner, later, ItemRole.OWNER)
    assert later.id in env.queued()
    await env.sync()
    assert env.assigned(later) == okta_ids(owner, reader)

    with env.change() as world:
        removal = collection_extensions.remove_collection(
            world.session, world.session.get_one(Member, owner.id), top_id
        )
    assert sorted(removal.removing) == sorted([in_top.id, nested.id, later.id])
    assert removal.kept == [own.id]
    await env.sync()

    for gone in (in_top, nested, later):
        assert env.apps(gone) == []
        assert env.extension(gone) is None
    assert env.assigned(own) == okta_ids(owner, reader), "extended on its own: it stays"
    with env.change() as world:
        collections.remove_account(world.session, world.workspace.id, top_id, own.id)
    await env.sync()
    assert env.assigned(own) == okta_ids(owner), "the collection's share no longer reaches it"
