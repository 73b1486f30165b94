"""Collections as their Owners, Collaborators and outsiders use them: made, renamed, nested,
moved (never under themselves), deleted; accounts put in and taken out; and a whole collection
extended to Okta, accounts that arrive later included, and removed again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from broker.actions import collections as actions
from broker.actions import extended_access
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from broker.models import (
    Account,
    AuditEvent,
    Collection,
    CollectionItem,
    ItemRole,
    Member,
    OktaExtension,
    SyncOutbox,
    SyncState,
    WorkspaceRole,
)
from broker.services import collections, extensions, shares, workspaces
from tests.broker.builders import World


@dataclass
class Scene:
    ctx: BrokerContext
    workspace_id: str
    owner: str
    collaborator: str
    login_only: str
    outsider: str
    local: str  # a User not provisioned from Okta

    @contextmanager
    def world(self) -> Iterator[World]:
        with transaction(self.ctx.sessions) as s:
            yield World(s, self.ctx.vault, workspaces.get_workspace(s, self.workspace_id), 50)

    def read(self) -> Session:
        return self.ctx.sessions()


@pytest.fixture
def scene(ctx: BrokerContext) -> Scene:
    with transaction(ctx.sessions) as s:
        world = World(s, ctx.vault, workspaces.create_workspace(s, "Acme"))
        people = [
            world.member(WorkspaceRole.USER),
            world.member(WorkspaceRole.USER),
            world.member(WorkspaceRole.LOGIN_ONLY),
            world.member(WorkspaceRole.USER),
            world.member(WorkspaceRole.USER, okta=False),
        ]
        workspaces.set_extended_access(s, world.workspace.id, True)
        return Scene(ctx, world.workspace.id, *(p.id for p in people))


def _owned_collection(scene: Scene, name: str = "Engineering") -> str:
    collection_id = actions.create(scene.ctx, scene.owner, name)
    with scene.world() as world:
        target = world.session.get_one(Collection, collection_id)
        world.share(world.session.get_one(Member, scene.collaborator), target)
        world.share(world.session.get_one(Member, scene.login_only), target)
    return collection_id


def _account(scene: Scene, owner: str | None = None) -> str:
    with scene.world() as world:
        account = world.account()
        world.share(world.session.get_one(Member, owner or scene.owner), account, ItemRole.OWNER)
        return account.id


# -- making, listing, naming ----------------------------------------------------------------------


def test_the_maker_of_a_top_collection_owns_it_and_the_people_it_is_shared_with_see_it(
    scene: Scene,
) -> None:
    top = _owned_collection(scene)
    child = actions.create(scene.ctx, scene.owner, "Infrastructure", parent_id=top)

    rows = actions.listing(scene.ctx, scene.owner)
    assert [(r.name, r.depth, r.role) for r in rows] == [
        ("Engineering", 0, ItemRole.OWNER),
        ("Infrastructure", 1, ItemRole.OWNER),
    ]
    seen = actions.listing(scene.ctx, scene.collaborator)
    assert [(r.name, r.role) for r in seen] == [
        ("Engineering", ItemRole.COLLABORATOR),
        ("Infrastructure", ItemRole.COLLABORATOR),
    ]
    assert actions.listing(scene.ctx, scene.outsider) == []
    with pytest.raises(NotFound):
        actions.collection(scene.ctx, scene.outsider, child)
    page = actions.collection(scene.ctx, scene.collaborator, child)
    assert [c.name for c in page.path] == ["Engineering"]
    assert not page.can_manage


def test_a_collection_seen_only_through_a_share_on_it_shows_at_the_top_without_its_parent(
    scene: Scene,
) -> None:
    top = _owned_collection(scene, "Secret parent")
    child = actions.create(scene.ctx, scene.owner, "Shared child", parent_id=top)
    with scene.world() as world:
        world.share(
            world.session.get_one(Member, scene.outsider), world.session.get_one(Collection, child)
        )
    rows = actions.listing(scene.ctx, scene.outsider)
    assert [(r.name, r.depth) for r in rows] == [("Shared child", 0)]
    assert actions.collection(scene.ctx, scene.outsider, child).path == []


@pytest.mark.parametrize(
    ("who", "error"),
    [("collaborator", PermissionDenied), ("outsider", NotFound), ("login_only", PermissionDenied)],
)
def test_only_an_owner_of_the_parent_makes_a_sub_collection(
    scene: Scene, who: str, error: type[Exception]
) -> None:
    top = _owned_collection(scene)
    with pytest.raises(error):
        actions.create(scene.ctx, getattr(scene, who), "Mine", parent_id=top)
    assert [r.name for r in actions.listing(scene.ctx, scene.owner)] == ["Engineering"]


def test_a_login_only_member_makes_no_collection(scene: Scene) -> None:
    with pytest.raises(PermissionDenied):
        actions.create(scene.ctx, scene.login_only, "Mine")


@pytest.mark.parametrize(
    ("name", "error", "says"),
    [
        ("   ", InvalidInput, "must not be empty"),
        ("x" * 201, InvalidInput, "longer than 200"),
        ("Design", Conflict, "already exists"),
    ],
)
def test_a_bad_name_is_refused_and_nothing_changes(
    scene: Scene, name: str, error: type[Exception], says: str
) -> None:
    top = _owned_collection(scene)
    actions.create(scene.ctx, scene.owner, "Design")
    with pytest.raises(error, match=says):
        actions.rename(scene.ctx, scene.owner, top, name)
    assert actions.collection(scene.ctx, scene.owner, top).name == "Engineering"


def test_an_owner_renames_and_a_collaborator_cannot(scene: Scene) -> None:
    top = _owned_collection(scene)
    with pytest.raises(PermissionDenied):
        actions.rename(scene.ctx, scene.collaborator, top, "Mine")
    actions.rename(scene.ctx, scene.owner, top, "  Platform   team ")
    assert actions.collection(scene.ctx, scene.owner, top).name == "Platform team"


# -- moving ---------------------------------------------------------------------------------------


def test_a_collection_moved_under_itself_or_its_descendant_is_refused_with_a_clear_message(
    scene: Scene,
) -> None:
    top = _owned_collection(scene)
    child = actions.create(scene.ctx, scene.owner, "Child", parent_id=top)
    grandchild = actions.create(scene.ctx, scene.owner, "Grandchild", parent_id=child)
    with pytest.raises(InvalidInput, match="cannot be moved under itself"):
        actions.move(scene.ctx, scene.owner, top, top)
    with pytest.raises(InvalidInput, match="inside itself or one of its descendants"):
        actions.move(scene.ctx, scene.owner, top, grandchild)
    with scene.read() as s:
        assert s.get_one(Collection, top).parent_id is None


def test_an_owner_of_both_nests_one_collection_under_another_and_back(scene: Scene) -> None:
    a = _owned_collection(scene, "A")
    b = _owned_collection(scene, "B")
    actions.move(scene.ctx, scene.owner, b, a)
    assert [(r.name, r.depth) for r in actions.listing(scene.ctx, scene.owner)] == [
        ("A", 0),
        ("B", 1),
    ]
    actions.move(scene.ctx, scene.owner, b, None)
    assert [r.depth for r in actions.listing(scene.ctx, scene.owner)] == [0, 0]


def test_moving_under_a_collection_the_actor_does_not_own_is_refused(scene: Scene) -> None:
    mine = _owned_collection(scene, "Mine")
    theirs = actions.create(scene.ctx, scene.collaborator, "Theirs")
    with pytest.raises(NotFound):
        actions.move(scene.ctx, scene.owner, mine, theirs)
    with scene.world() as world:
        world.share(
            world.session.get_one(Member, scene.owner), world.session.get_one(Collection, theirs)
        )
    with pytest.raises(PermissionDenied, match="only under one you are an Owner of"):
        actions.move(scene.ctx, scene.owner, mine, theirs)


def test_a_move_that_would_cost_the_actor_their_owner_role_is_refused_and_undone(
    scene: Scene,
) -> None:
    top = _owned_collection(scene)
    child = actions.create(scene.ctx, scene.owner, "Child", parent_id=top)
    with pytest.raises(InvalidInput, match="no longer be an Owner"):
        actions.move(scene.ctx, scene.owner, child, None)
    with scene.read() as s:
        assert s.get_one(Collection, child).parent_id == top


# -- accounts in collections ----------------------------------------------------------------------


def test_an_owner_of_both_puts_an_account_in_and_takes_it_out(scene: Scene) -> None:
    top = _owned_collection(scene)
    account = _account(scene)
    actions.add_account(scene.ctx, scene.owner, top, account)
    page = actions.collection(scene.ctx, scene.collaborator, top)
    assert [a.id for a in page.accounts] == [account]
    assert not page.accounts[0].can_remove
    assert actions.remove_account(scene.ctx, scene.owner, top, account) is False
    assert actions.collection(scene.ctx, scene.owner, top).accounts == []
    with pytest.raises(Conflict, match="not in this collection"):
        actions.remove_account(scene.ctx, scene.owner, top, account)


def test_putting_in_an_account_needs_owner_on_the_account_too(scene: Scene) -> None:
    top = _owned_collection(scene)
    hidden = _account(scene, owner=scene.outsider)
    with pytest.raises(NotFound, match="No such account"):
        actions.add_account(scene.ctx, scene.owner, top, hidden)
    shared = _account(scene, owner=scene.outsider)
    with scene.world() as world:
        world.share(
            world.session.get_one(Member, scene.owner),
            world.session.get_one(Account, shared),
        )
    with pytest.raises(PermissionDenied, match="Owner of the account"):
        actions.add_account(scene.ctx, scene.owner, top, shared)
    with pytest.raises(PermissionDenied):
        actions.add_account(scene.ctx, scene.collaborator, top, _account(scene, scene.collaborator))


def test_deleting_a_collection_keeps_its_accounts_and_hands_orphans_to_the_actor(
    scene: Scene,
) -> None:
    top = _owned_collection(scene)
    child = actions.create(scene.ctx, scene.owner, "Child", parent_id=top)
    owned_elsewhere = _account(scene)  # the owner has a direct share on it
    orphan = _account(scene)
    with scene.world() as world:
        collections.add_account(world.session, scene.workspace_id, child, owned_elsewhere)
        collections.add_account(world.session, scene.workspace_id, child, orphan)
        shares.unshare(
            world.session,
            scene.workspace_id,
            shares.Subject(member_id=scene.owner),
            shares.Target(account_id=orphan),
        )
    with pytest.raises(PermissionDenied):
        actions.delete(scene.ctx, scene.collaborator, top)

    deleted = actions.delete(scene.ctx, scene.owner, top)

    assert (deleted.name, deleted.accounts, deleted.adopted) == ("Engineering", 2, 1)
    with scene.read() as s:
        assert s.scalars(select(Collection)).all() == []
        assert s.scalars(select(CollectionItem)).all() == []
    # Both accounts stay; the orphan is the actor's now, the collaborator lost it with the share.
    for account in (owned_elsewhere, orphan):
        assert extended_access.account(scene.ctx, scene.owner, account).id == account
        with pytest.raises(NotFound):
            extended_access.account(scene.ctx, scene.collaborator, account)


# -- extending a collection to Okta ----------------------------------------------------------------


def _extended_rows(scene: Scene) -> dict[str, tuple[SyncState, str | None]]:
    with scene.read() as s:
        return {
            r.account_id: (r.sync_state, r.through_collection_id)
            for r in s.scalars(select(OktaExtension))
        }


def _queued(scene: Scene) -> set[str]:
    with scene.read() as s:
        return set(s.scalars(select(SyncOutbox.account_id)))


def test_an_owner_extends_every_account_in_a_collection_and_its_sub_collections(
    scene: Scene,
) -> None:
    top = _owned_collection(scene)
    child = actions.create(scene.ctx, scene.owner, "Child", parent_id=top)
    a, b = _account(scene), _account(scene)
    actions.add_account(scene.ctx, scene.owner, top, a)
    actions.add_account(scene.ctx, scene.owner, child, b)

    assert actions.extend(scene.ctx, scene.owner, top) == 2

    assert _extended_rows(scene) == {a: (SyncState.PENDING, top), b: (SyncState.PENDING, top)}
    assert _queued(scene) == {a, b}
    page = actions.collection(scene.ctx, scene.owner, top)
    assert page.extension is not None
    assert page.not_in_okta == 0
    assert actions.collection(scene.ctx, scene.owner, child).extended_above is not None
    with pytest.raises(Conflict, match="already extended"):
        actions.extend(scene.ctx, scene.owner, top)


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("collaborator", PermissionDenied),
        ("login_only", PermissionDenied),
        ("outsider", NotFound),
    ],
)
def test_only_a_collection_owner_extends_it_and_a_refusal_writes_nothing(
    scene: Scene, who: str, error: type[Exception]
) -> None:
    top = _owned_collection(scene)
    actions.add_account(scene.ctx, scene.owner, top, _account(scene))
    with pytest.raises(error):
        actions.extend(scene.ctx, getattr(scene, who), top)
    assert _extended_rows(scene) == {}


def test_an_owner_not_provisioned_from_okta_or_a_switched_off_feature_extends_nothing(
    scene: Scene,
) -> None:
    top = actions.create(scene.ctx, scene.local, "Local")
    actions.add_account(scene.ctx, scene.local, top, _account(scene, scene.local))
    with pytest.raises(PermissionDenied, match="provisioned from Okta"):
        actions.extend(scene.ctx, scene.local, top)
    mine = _owned_collection(scene)
    with transaction(scene.ctx.sessions) as s:
        workspaces.set_extended_access(s, scene.workspace_id, False)
    with pytest.raises(Conflict, match="turned off"):
        actions.extend(scene.ctx, scene.owner, mine)
    assert _extended_rows(scene) == {}


def test_accounts_arriving_later_in_an_extended_collection_are_extended_too(
    scene: Scene,
) -> None:
    top = _owned_collection(scene)
    actions.extend(scene.ctx, scene.owner, top)
    added = _account(scene)
    assert actions.add_account(scene.ctx, scene.owner, top, added) is True

    elsewhere = _owned_collection(scene, "Elsewhere")
    moved_in = _account(scene)
    actions.add_account(scene.ctx, scene.owner, elsewhere, moved_in)
    assert moved_in not in _extended_rows(scene)
    actions.move(scene.ctx, scene.owner, elsewhere, top)

    with scene.world() as world:  # made straight into it, as an import or the add page does
        made = world.account(within=world.session.get_one(Collection, top)).id

    rows = _extended_rows(scene)
    assert {added, moved_in, made} <= set(rows)
    assert all(rows[a] == (SyncState.PENDING, top) for a in (added, moved_in, made))
    assert {added, moved_in, made} <= _queued(scene)
    with scene.read() as s:
        by = s.scalars(select(OktaExtension.extended_by_id)).all()
    assert set(by) == {scene.owner}, "extended in the name of the collection's Owner"


def test_removing_a_collection_from_okta_keeps_accounts_extended_on_their_own_or_elsewhere(
    scene: Scene,
) -> None:
    top = _owned_collection(scene)
    only_here, own, twice = _account(scene), _account(scene), _account(scene)
    other = _owned_collection(scene, "Other")
    for account in (only_here, own, twice):
        actions.add_account(scene.ctx, scene.owner, top, account)
    actions.add_account(scene.ctx, scene.owner, other, twice)
    with transaction(scene.ctx.sessions) as s:
        extensions.extend_account(s, s.get_one(Member, scene.owner), own)
    actions.extend(scene.ctx, scene.owner, top)
    actions.extend(scene.ctx, scene.owner, other)
    with pytest.raises(PermissionDenied):
        actions.remove_from_okta(scene.ctx, scene.collaborator, top)

    removal = actions.remove_from_okta(scene.ctx, scene.owner, top)

    assert removal.removing == [only_here]
    assert sorted(removal.kept) == sorted([own, twice])
    rows = _extended_rows(scene)
    assert rows[only_here][0] is SyncState.REMOVING
    assert rows[own] == (SyncState.PENDING, None)
    assert rows[twice] == (SyncState.PENDING, other)
    assert actions.collection(scene.ctx, scene.owner, top).extension is None
    with pytest.raises(Conflict, match="not extended"):
        actions.remove_from_okta(scene.ctx, scene.owner, top)
    with scene.read() as s:
        actions_seen = set(s.scalars(select(AuditEvent.action)))
    assert {"okta.collection_extended", "okta.collection_removal_requested"} <= actions_seen


def test_an_account_leaving_an_extended_collection_stays_in_okta_on_its_own(
    scene: Scene,
) -> None:
    top = _owned_collection(scene)
    account = _account(scene)
    actions.add_account(scene.ctx, scene.owner, top, account)
    actions.extend(scene.ctx, scene.owner, top)
    actions.remove_account(scene.ctx, scene.owner, top, account)
    assert _extended_rows(scene) == {account: (SyncState.PENDING, None)}


def test_extending_again_brings_back_accounts_removed_one_by_one(scene: Scene) -> None:
    top = _owned_collection(scene)
    a, b = _account(scene), _account(scene)
    for account in (a, b):
        actions.add_account(scene.ctx, scene.owner, top, account)
    actions.extend(scene.ctx, scene.owner, top)
    extended_access.remove(scene.ctx, scene.owner, a)
    assert actions.collection(scene.ctx, scene.owner, top).not_in_okta == 1
    assert actions.extend(scene.ctx, scene.owner, top) == 1
    assert _extended_rows(scene)[a] == (SyncState.PENDING, top)


def test_a_manual_sync_of_a_collection_queues_its_extended_accounts(scene: Scene) -> None:
    top = _owned_collection(scene)
    account = _account(scene)
    actions.add_account(scene.ctx, scene.owner, top, account)
    actions.extend(scene.ctx, scene.owner, top)
    with transaction(scene.ctx.sessions) as s:
        s.execute(delete(SyncOutbox))
    assert actions.sync(scene.ctx, scene.owner, top) == 1
    assert _queued(scene) == {account}
    with pytest.raises(PermissionDenied):
        actions.sync(scene.ctx, scene.collaborator, top)


def test_an_account_extended_again_on_its_own_page_stays_when_its_collection_is_removed(
    scene: Scene,
) -> None:
    top = _owned_collection(scene)
    account = _account(scene)
    actions.add_account(scene.ctx, scene.owner, top, account)
    actions.extend(scene.ctx, scene.owner, top)
    extended_access.remove(scene.ctx, scene.owner, account)
    extended_access.extend(scene.ctx, scene.owner, account)
    assert _extended_rows(scene) == {account: (SyncState.PENDING, None)}
    removal = actions.remove_from_okta(scene.ctx, scene.owner, top)
    assert (removal.removing, removal.kept) == ([], [account])
