"""The activity log: who sees which events, filters, paging, and only allow-listed details."""

from __future__ import annotations

import pytest

from broker import audit
from broker.actions import accounts, activity, shares
from broker.actions.shares import Subject, Target
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import InvalidInput, PermissionDenied
from broker.models import ItemRole, WorkspaceRole
from broker.services.accounts import AccountInput
from tests.broker.actions.conftest import Builder


def _add(ctx: BrokerContext, member_id: str, name: str) -> str:
    data = AccountInput(name, "App", "https://x.example/", "u", "pw-not-logged")
    return accounts.create(ctx, member_id, data).id


def test_admins_see_everything_owners_their_items_login_only_nothing(
    ctx: BrokerContext, build: Builder
) -> None:
    with build() as w:
        admin, owner, other = w.member(WorkspaceRole.ADMIN), w.member(), w.member()
        guest = w.member(WorkspaceRole.LOGIN_ONLY)
        collection = w.collection()
        w.share(owner, collection, ItemRole.OWNER)
    mine = _add(ctx, owner.id, "Mine")
    _add(ctx, other.id, "Theirs")
    shares.grant(
        ctx,
        owner.id,
        Target(collection_id=collection.id),
        Subject(member_id=other.id),
        "collaborator",
    )

    seen_by_owner = activity.listing(ctx, owner.id)
    owned = {"account.created", "share.granted", "collection.created"}
    assert {r.action for r in seen_by_owner.rows} == owned
    assert all("Theirs" not in (r.target or "") for r in seen_by_owner.rows)
    assert seen_by_owner.sees_all is False
    everything = activity.listing(ctx, admin.id)
    assert everything.sees_all is True
    assert sum(r.action == "account.created" for r in everything.rows) == 2
    assert [
        r.actor for r in activity.listing(ctx, admin.id, account_id=mine, kind="account").rows
    ] == [owner.name]
    with pytest.raises(PermissionDenied):
        activity.listing(ctx, guest.id)
    with pytest.raises(InvalidInput):
        activity.listing(ctx, admin.id, kind="nope")


def test_newest_first_paged_and_only_allow_listed_details(
    ctx: BrokerContext, build: Builder
) -> None:
    with build() as w:
        admin = w.member(WorkspaceRole.ADMIN)
    with transaction(ctx.sessions) as s:
        for n in range(7):
            audit.record(s, build.workspace_id, "settings.okta_token_changed", n=n, token="s3cr3t")
    first = activity.listing(ctx, admin.id, per_page=3, kind="settings")
    assert (first.total, first.pages) == (7, 3)
    assert [r.id for r in first.rows] == sorted((r.id for r in first.rows), reverse=True)
    assert all(r.details == [] for r in first.rows)  # neither `n` nor `token` is shown
    assert len(activity.listing(ctx, admin.id, per_page=3, page=3, kind="settings").rows) == 1
