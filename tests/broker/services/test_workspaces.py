"""Workspace settings: the Okta token is sealed, never shown back, and its status drives sync."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from broker.errors import InvalidInput
from broker.models import AuditEvent, ItemRole, SealedSecret, SyncOutbox, TokenStatus
from broker.services import extensions, workspaces
from tests.broker.builders import World


def test_okta_token_is_sealed_and_replaced(world: World, session: Session) -> None:
    ws = workspaces.set_okta_token(session, world.workspace.id, "00abcTOKEN", vault=world.vault)
    first = ws.okta_token_secret_id
    assert first is not None
    sealed = session.get(SealedSecret, first)
    assert sealed is not None
    assert b"00abcTOKEN" not in sealed.ciphertext
    assert world.vault.open_text(sealed, purpose="workspace.okta_token") == "00abcTOKEN"
    assert ws.okta_token_status is TokenStatus.UNCHECKED

    workspaces.set_okta_token(session, world.workspace.id, "00defTOKEN", vault=world.vault)
    session.flush()
    assert session.get(SealedSecret, first) is None
    assert session.scalar(select(func.count()).select_from(SealedSecret)) == 1
    actions = session.scalars(select(AuditEvent.action)).all()
    assert actions.count("settings.okta_token_changed") == 2
    assert all("TOKEN" not in str(e.details) for e in session.scalars(select(AuditEvent)))


@pytest.mark.parametrize("bad", ["", "   ", "two words", "x" * 513])
def test_bad_tokens_are_refused(world: World, session: Session, bad: str) -> None:
    with pytest.raises(InvalidInput):
        workspaces.set_okta_token(session, world.workspace.id, bad, vault=world.vault)
    assert world.workspace.okta_token_secret_id is None


def test_a_token_accepted_again_after_a_refusal_resumes_sync(
    world: World, session: Session
) -> None:
    workspaces.set_extended_access(session, world.workspace.id, True)
    owner = world.member()
    account = world.account()
    world.share(owner, account, ItemRole.OWNER)
    extensions.extend_account(session, owner, account.id)
    session.execute(delete(SyncOutbox))

    workspaces.record_token_check(session, world.workspace.id, ok=True)
    assert session.scalar(select(func.count()).select_from(SyncOutbox)) == 0
    ws = workspaces.record_token_check(session, world.workspace.id, ok=False, error="E0000011")
    assert ws.okta_token_status is TokenStatus.INVALID
    workspaces.record_token_check(session, world.workspace.id, ok=True)
    session.flush()
    assert session.scalar(select(SyncOutbox.account_id)) == account.id
