"""Personal API tokens: shown once, kept only as a hash, the member's own, last use noted at most
once a minute, revoked by the member or by deactivation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from broker.actions import members as member_actions
from broker.actions import tokens
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import InvalidInput, NotFound, PermissionDenied
from broker.models import AuditEvent, Member, WorkspaceRole, utcnow
from broker.services import members, workspaces
from broker.services import tokens as token_service
from broker.settings import Settings
from broker.token_models import ApiToken
from broker.vault import Vault
from tests.broker.builders import World
from tests.conftest import Database


@pytest.fixture
def ctx(db: Database, vault: Vault, tmp_path: Path) -> BrokerContext:
    settings = Settings(
        data_dir=tmp_path, database_url=str(db.engine.url), master_key_file=tmp_path / "m.keys"
    )
    return BrokerContext(settings=settings, sessions=db.sessions, vault=vault)


def _members(ctx: BrokerContext, *roles: WorkspaceRole) -> list[str]:
    with transaction(ctx.sessions) as s:
        world = World(s, ctx.vault, workspaces.create_workspace(s, "Acme"))
        return [world.member(role).id for role in roles]


def test_a_token_is_shown_once_and_kept_only_as_its_hash(ctx: BrokerContext) -> None:
    (ana,) = _members(ctx, WorkspaceRole.USER)

    issued = tokens.create(ctx, ana, "  nightly   import ")

    assert issued.token.startswith("lk_")
    assert len(issued.token) >= 40
    assert issued.row.name == "nightly import"
    with ctx.sessions() as s:
        row = s.get_one(ApiToken, issued.row.id)
        assert issued.token not in row.token_hash
        events = s.scalars(select(AuditEvent).where(AuditEvent.action.like("api_token.%"))).all()
    assert [e.action for e in events] == ["api_token.created"]
    assert issued.token not in str(events[0].details)
    assert tokens.member_of_token(ctx, issued.token).id == ana  # type: ignore[union-attr]
    assert [r.id for r in tokens.listing(ctx, ana)] == [issued.row.id]


def test_two_tokens_differ(ctx: BrokerContext) -> None:
    (ana,) = _members(ctx, WorkspaceRole.USER)
    assert tokens.create(ctx, ana, "a").token != tokens.create(ctx, ana, "b").token


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_token_needs_a_sensible_name(ctx: BrokerContext, name: str) -> None:
    (ana,) = _members(ctx, WorkspaceRole.USER)
    with pytest.raises(InvalidInput):
        tokens.create(ctx, ana, name)
    assert tokens.listing(ctx, ana) == []


@pytest.mark.parametrize("role", [WorkspaceRole.LOGIN_ONLY, WorkspaceRole.GUEST])
def test_login_only_members_and_guests_get_no_token(
    ctx: BrokerContext, role: WorkspaceRole
) -> None:
    (who,) = _members(ctx, role)
    with pytest.raises(PermissionDenied):
        tokens.create(ctx, who, "script")


def test_a_token_stops_working_when_its_member_becomes_login_only(ctx: BrokerContext) -> None:
    (ana,) = _members(ctx, WorkspaceRole.USER)
    issued = tokens.create(ctx, ana, "script")
    with transaction(ctx.sessions) as s:
        members.set_role(s, s.get_one(Member, ana).workspace_id, ana, WorkspaceRole.LOGIN_ONLY)
    assert tokens.member_of_token(ctx, issued.token) is None


def test_revoking_ends_the_token_and_only_the_owner_can(ctx: BrokerContext) -> None:
    ana, bob = _members(ctx, WorkspaceRole.USER, WorkspaceRole.ADMIN)
    issued = tokens.create(ctx, ana, "script")

    with pytest.raises(NotFound):
        tokens.revoke(ctx, bob, issued.row.id)  # an admin neither sees nor revokes it
    assert tokens.member_of_token(ctx, issued.token) is not None
    revoked = tokens.revoke(ctx, ana, issued.row.id)
    again = tokens.revoke(ctx, ana, issued.row.id)

    assert not revoked.active
    assert again.revoked_at == revoked.revoked_at
    assert tokens.member_of_token(ctx, issued.token) is None
    with ctx.sessions() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.target_type == "api_token"))
        assert sorted(actions) == ["api_token.created", "api_token.revoked"]


@pytest.mark.parametrize("guess", ["", "lk_", "lk_" + "A" * 43, "x" * 500, "Bearer"])
def test_unknown_tokens_open_nothing(ctx: BrokerContext, guess: str) -> None:
    (ana,) = _members(ctx, WorkspaceRole.USER)
    tokens.create(ctx, ana, "script")
    assert tokens.member_of_token(ctx, guess) is None


def test_deactivation_revokes_every_token(ctx: BrokerContext) -> None:
    admin, leaver = _members(ctx, WorkspaceRole.ADMIN, WorkspaceRole.USER)
    first = tokens.create(ctx, leaver, "one")
    second = tokens.create(ctx, leaver, "two")

    member_actions.deactivate(ctx, admin, leaver)
    member_actions.reactivate(ctx, admin, leaver)

    assert tokens.member_of_token(ctx, first.token) is None
    assert tokens.member_of_token(ctx, second.token) is None
    assert all(not row.active for row in tokens.listing(ctx, leaver))


def test_last_use_is_written_at_most_once_a_minute(ctx: BrokerContext) -> None:
    (ana,) = _members(ctx, WorkspaceRole.USER)
    issued = tokens.create(ctx, ana, "script")
    start = utcnow()

    def use(at: timedelta) -> object:
        with transaction(ctx.sessions) as s:
            token_service.resolve(s, issued.token, now=start + at)
        with ctx.sessions() as s:
            return s.get_one(ApiToken, issued.row.id).last_used_at

    first = use(timedelta(0))
    assert use(timedelta(seconds=30)) == first
    assert use(timedelta(seconds=61)) != first
