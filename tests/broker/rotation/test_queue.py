"""Asking for rotations: one pending job per account, audited, in the caller's transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.db import Base, make_engine, make_session_factory, transaction
from broker.keyring import generate_keyring
from broker.models import AuditEvent
from broker.rotation.cli import rotate
from broker.rotation.models import PasswordRotation, RotationStatus
from broker.rotation.queue import pending_rotations, request_rotation
from broker.services import accounts, workspaces
from broker.vault import Vault
from tests.broker.builders import World


def test_a_second_request_joins_the_pending_job(world: World, session: Session) -> None:
    account = world.account()
    ws = world.workspace.id

    first = request_rotation(session, ws, [account.id], "member deactivated")
    again = request_rotation(session, ws, [account.id, account.id], "another member deactivated")

    assert [j.id for j in again] == [j.id for j in first]
    assert len(pending_rotations(session, account.id)) == 1
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "password.rotation_requested")
    ).all()
    assert len(actions) == 2


def test_a_finished_job_does_not_absorb_a_new_request(world: World, session: Session) -> None:
    account = world.account()
    (done,) = request_rotation(session, world.workspace.id, [account.id], "first")
    done.status = RotationStatus.DONE

    (fresh,) = request_rotation(session, world.workspace.id, [account.id], "second")

    assert fresh.id != done.id
    assert fresh.status is RotationStatus.PENDING


def test_nothing_asked_is_nothing_queued(world: World, session: Session) -> None:
    assert request_rotation(session, world.workspace.id, [], "nobody") == []
    assert session.scalars(select(PasswordRotation)).all() == []


def test_latchkey_rotate_once_reports_what_it_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'latchkey.db'}"
    keys = tmp_path / "master.keys"
    monkeypatch.setenv("LATCHKEY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LATCHKEY_DATABASE_URL", url)
    monkeypatch.setenv("LATCHKEY_MASTER_KEY_FILE", str(keys))
    monkeypatch.delenv("LATCHKEY_MASTER_KEYS", raising=False)
    vault = Vault(generate_keyring(keys))
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with transaction(make_session_factory(engine)) as session:
        ws = workspaces.create_workspace(session, "Demo").id
        account = accounts.create_account(
            session,
            ws,
            accounts.AccountInput("Files", "Acme", "https://files.example.com/login", "u", "pw"),
            vault=vault,
        )
        request_rotation(session, ws, [account.id], "member deactivated")
    engine.dispose()

    result = CliRunner().invoke(rotate, ["--once"])

    assert result.exit_code == 0, result.output
    # No driver knows files.example.com: the job fails for an admin to handle.
    assert result.output.strip() == "Rotated 0, retrying 0, failed 1."
