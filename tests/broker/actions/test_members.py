"""Deactivation has one path: whoever starts it, sessions and credentials die, rotations queue."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker import sessions
from broker.actions import members as member_actions
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import InvalidInput, NotFound, PermissionDenied
from broker.ext_tables import ExtensionCredential, hash_token, new_token
from broker.models import AuditEvent, ItemRole, Member, Workspace, WorkspaceRole, utcnow
from broker.rotation.models import PasswordRotation
from broker.services import workspaces
from broker.session_models import BrokerSession
from broker.settings import Settings
from broker.vault import Vault
from tests.broker.builders import World
from tests.conftest import Database


@pytest.fixture
def ctx(db: Database, vault: Vault, tmp_path: Path) -> BrokerContext:
    settings = Settings(
        data_dir=tmp_path,
        database_url=str(db.engine.url),
        master_key_file=tmp_path / "master.keys",
    )
    return BrokerContext(settings=settings, sessions=db.sessions, vault=vault)


def _scene(ctx: BrokerContext) -> tuple[str, str, str]:
    """(admin id, leaver id, the account the leaver could launch); the leaver is signed in and
    has a registered extension."""
    with transaction(ctx.sessions) as s:
        world = World(s, ctx.vault, workspaces.create_workspace(s, "Acme"))
        admin = world.member(WorkspaceRole.ADMIN)
        leaver = world.member()
        account = world.account()
        world.share(leaver, account, ItemRole.COLLABORATOR)
        _token, signed_in = sessions.open_session(s, leaver.id, ttl_s=3600)
        now = utcnow()
        s.add(
            ExtensionCredential(
                token_hash=hash_token(new_token()),
                workspace_id=world.workspace.id,
                member_id=leaver.id,
                jkt="thumbprint",
                public_jwk={},
                origin="chrome-extension://abcdefghijklmnopabcdefghijklmnop",
                session_id=signed_in.id,
                created_at=now,
                expires_at=now + timedelta(days=1),
            )
        )
        return admin.id, leaver.id, account.id


def _live(s: Session, member_id: str) -> tuple[int, int]:
    live_sessions = s.scalars(
        select(BrokerSession).where(
            BrokerSession.member_id == member_id, BrokerSession.revoked_at.is_(None)
        )
    ).all()
    live_credentials = s.scalars(
        select(ExtensionCredential).where(
            ExtensionCredential.member_id == member_id, ExtensionCredential.revoked_at.is_(None)
        )
    ).all()
    return len(live_sessions), len(live_credentials)


def test_an_admin_deactivation_revokes_everything_and_queues_rotation(ctx: BrokerContext) -> None:
    admin_id, leaver_id, account_id = _scene(ctx)
    with ctx.sessions() as s:
        assert _live(s, leaver_id) == (1, 1)

    member_actions.deactivate(ctx, admin_id, leaver_id)

    with ctx.sessions() as s:
        leaver = s.get_one(Member, leaver_id)
        assert not leaver.active
        assert _live(s, leaver_id) == (0, 0)
        rotations = s.scalars(select(PasswordRotation.account_id)).all()
        assert rotations == [account_id]
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "member.deactivated"))
        assert event is not None
        assert event.actor_id == admin_id


def test_the_scim_step_and_the_admin_action_do_the_same(ctx: BrokerContext) -> None:
    _admin_id, leaver_id, account_id = _scene(ctx)
    with transaction(ctx.sessions) as s:
        member_actions.deactivate_in(s, s.get_one(Member, leaver_id), reason="SCIM")
    with ctx.sessions() as s:
        assert _live(s, leaver_id) == (0, 0)
        assert s.scalars(select(PasswordRotation.account_id)).all() == [account_id]


@pytest.mark.parametrize("role", [WorkspaceRole.USER, WorkspaceRole.LOGIN_ONLY])
def test_only_an_admin_deactivates_and_a_refusal_changes_nothing(
    ctx: BrokerContext, role: WorkspaceRole
) -> None:
    _admin_id, leaver_id, _account = _scene(ctx)
    with transaction(ctx.sessions) as s:
        workspace = s.get_one(Workspace, s.get_one(Member, leaver_id).workspace_id)
        other_id = World(s, ctx.vault, workspace, _count=100).member(role).id
    with pytest.raises(PermissionDenied):
        member_actions.deactivate(ctx, other_id, leaver_id)
    with ctx.sessions() as s:
        assert s.get_one(Member, leaver_id).active
        assert _live(s, leaver_id) == (1, 1)


def test_an_admin_cannot_deactivate_themselves_or_a_stranger(ctx: BrokerContext) -> None:
    admin_id, _leaver, _account = _scene(ctx)
    with pytest.raises(InvalidInput):
        member_actions.deactivate(ctx, admin_id, admin_id)
    with pytest.raises(NotFound):
        member_actions.deactivate(ctx, admin_id, "no-such-member")


def test_reactivation_restores_launching_but_no_session(ctx: BrokerContext) -> None:
    admin_id, leaver_id, _account = _scene(ctx)
    member_actions.deactivate(ctx, admin_id, leaver_id)
    member_actions.reactivate(ctx, admin_id, leaver_id)
    with ctx.sessions() as s:
        assert s.get_one(Member, leaver_id).active
        assert _live(s, leaver_id) == (0, 0)
