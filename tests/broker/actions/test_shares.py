"""Sharing: who has access through which path; grant, change, remove; the chiclet count."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from broker.actions import shares
from broker.actions.shares import Subject, Target
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from broker.models import (
    ItemRole,
    Member,
    OktaExtension,
    Share,
    SyncOutbox,
    WorkspaceRole,
)
from broker.services import workspaces
from tests.broker.actions.conftest import Builder


def _extend(ctx: BrokerContext, workspace_id: str, account_id: str) -> None:
    with transaction(ctx.sessions) as s:
        s.add(OktaExtension(account_id=account_id, workspace_id=workspace_id))


def test_access_lists_every_path_with_its_role(ctx: BrokerContext, build: Builder) -> None:
    with build() as w:
        owner, ana, bo, guest = (
            w.member(),
            w.member(),
            w.member(),
            w.member(WorkspaceRole.LOGIN_ONLY),
        )
        parent = w.collection()
        child = w.collection(parent)
        account = w.account(within=child)
        team = w.team(bo, guest)
        w.share(owner, account, ItemRole.OWNER)
        w.share(ana, parent, ItemRole.COLLABORATOR)
        w.share(team, account, ItemRole.OWNER)
    seen = shares.access(ctx, ana.id, Target(account_id=account.id))
    assert (seen.can_manage, seen.members) == (False, [])
    people = {p.name: (p.role, p.paths) for p in seen.people}
    assert people[owner.name] == (ItemRole.OWNER, ["Direct (owner)"])
    assert people[ana.name] == (
        ItemRole.COLLABORATOR,
        [f"Through collection “{parent.name}” (collaborator)"],
    )
    assert people[bo.name] == (ItemRole.OWNER, [f"Team “{team.name}” (owner)"])
    assert people[guest.name][0] is ItemRole.COLLABORATOR  # Login-only: capped
    editable = {g.subject_name for g in seen.grants if g.on_this_item}
    assert editable == {owner.name, f"Team “{team.name}”"}


def test_only_owners_share_and_outsiders_are_told_not_found(
    ctx: BrokerContext, build: Builder
) -> None:
    with build() as w:
        owner, helper, outsider, newcomer = w.member(), w.member(), w.member(), w.member()
        account = w.account()
        w.share(owner, account, ItemRole.OWNER)
        w.share(helper, account, ItemRole.COLLABORATOR)
    target = Target(account_id=account.id)
    with pytest.raises(PermissionDenied):
        shares.grant(ctx, helper.id, target, Subject(member_id=newcomer.id), "collaborator")
    with pytest.raises(NotFound):
        shares.access(ctx, outsider.id, target)
    with pytest.raises(NotFound):
        shares.grant(ctx, outsider.id, target, Subject(member_id=newcomer.id), "owner")


def test_refusals_name_the_field_and_change_nothing(ctx: BrokerContext, build: Builder) -> None:
    with build() as w:
        owner, guest = w.member(), w.member(WorkspaceRole.LOGIN_ONLY)
        account = w.account()
        w.share(owner, account, ItemRole.OWNER)
    with transaction(ctx.sessions) as s:
        elsewhere = workspaces.create_workspace(s, "Elsewhere")
        stranger = Member(workspace_id=elsewhere.id, email="x@else.example")
        s.add(stranger)
        s.flush()
        stranger_id = stranger.id
    target = Target(account_id=account.id)
    cases = [
        (Subject(member_id=stranger_id), "collaborator", "subject", "no such member"),
        (Subject(member_id=guest.id), "owner", "role", "only be a collaborator"),
        (Subject(member_id=guest.id), "boss", "role", "owner or collaborator"),
        (Subject(team_id="nope"), "owner", "subject", "no such team"),
    ]
    for subject, role, field, message in cases:
        with pytest.raises(InvalidInput) as refused:
            shares.grant(ctx, owner.id, target, subject, role)
        assert refused.value.field == field
        assert message in refused.value.message.lower()
    with ctx.sessions() as s:
        assert len(s.scalars(select(Share)).all()) == 1


def test_the_last_owner_cannot_be_removed_or_downgraded(ctx: BrokerContext, build: Builder) -> None:
    with build() as w:
        owner, ana = w.member(), w.member()
        account = w.account()
        w.share(owner, account, ItemRole.OWNER)
    target, me = Target(account_id=account.id), Subject(member_id=owner.id)
    with pytest.raises(Conflict):
        shares.revoke(ctx, owner.id, target, me)
    with pytest.raises(Conflict):
        shares.grant(ctx, owner.id, target, me, "collaborator")
    shares.grant(ctx, owner.id, target, Subject(member_id=ana.id), "owner")
    shares.revoke(ctx, owner.id, target, me)
    assert [p.name for p in shares.access(ctx, ana.id, target).people] == [ana.name]


def test_preview_counts_new_chiclets_and_writes_nothing(ctx: BrokerContext, build: Builder) -> None:
    with build() as w:
        owner, ana, bo, no_okta = w.member(), w.member(), w.member(), w.member(okta=False)
        guest = w.member(WorkspaceRole.LOGIN_ONLY)
        collection = w.collection()
        first, second = w.account(within=collection), w.account(within=collection)
        w.share(owner, collection, ItemRole.OWNER)
        w.share(ana, first, ItemRole.COLLABORATOR)
        team = w.team(ana, bo, no_okta, guest)
    _extend(ctx, build.workspace_id, first.id)
    _extend(ctx, build.workspace_id, second.id)
    target = Target(collection_id=collection.id)
    seen = shares.preview(ctx, owner.id, target, Subject(team_id=team.id), "collaborator")
    # ana already has the first chiclet but not the second; bo gets both; the member without
    # an Okta id and the Login-only member get none.
    assert (seen.new_people, seen.extended_accounts, seen.is_new) == (2, 2, True)
    with ctx.sessions() as s:
        assert s.scalar(select(Share).where(Share.team_id == team.id)) is None
        assert s.scalars(select(SyncOutbox)).all() == []
    account_preview = shares.preview(
        ctx, owner.id, Target(account_id=first.id), Subject(member_id=ana.id), "owner"
    )
    assert (account_preview.new_people, account_preview.is_new) == (0, False)  # a role change


def test_a_share_queues_the_extended_accounts_it_reaches(
    ctx: BrokerContext, build: Builder
) -> None:
    with build() as w:
        owner, ana = w.member(), w.member()
        collection = w.collection()
        account = w.account(within=collection)
        w.share(owner, collection, ItemRole.OWNER)
    _extend(ctx, build.workspace_id, account.id)
    target = Target(collection_id=collection.id)
    assert (
        shares.grant(ctx, owner.id, target, Subject(member_id=ana.id), "collaborator") == ana.name
    )
    with ctx.sessions() as s:
        assert s.scalars(select(SyncOutbox.account_id)).all() == [account.id]
    seen = shares.access(ctx, owner.id, target)
    assert (seen.kind, seen.extended, seen.can_manage) == ("collection", 1, True)
    shares.revoke(ctx, owner.id, target, Subject(member_id=ana.id))
    with pytest.raises(Conflict):
        shares.revoke(ctx, owner.id, target, Subject(member_id=ana.id))
