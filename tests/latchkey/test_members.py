"""`latchkey member deactivate` takes the one offboarding path: sessions die, rotations queue."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from broker.db import make_engine, make_session_factory, transaction
from broker.keyring import Keyring, new_master_key
from broker.models import ItemRole, Member
from broker.rotation.models import PasswordRotation
from broker.services import workspaces
from broker.session_models import BrokerSession
from broker.sessions import open_session
from broker.settings import Settings
from broker.vault import Vault
from latchkey.cli import main
from tests.broker.builders import World


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The database `latchkey` finds from the environment, migrated, with a signed-in member
    who can launch one account; returns their email."""
    monkeypatch.setenv("LATCHKEY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LATCHKEY_WORKSPACE", "Acme")
    monkeypatch.delenv("LATCHKEY_DATABASE_URL", raising=False)
    upgraded = CliRunner().invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    engine = make_engine(Settings.from_env().database_url)
    with transaction(make_session_factory(engine)) as s:
        world = World(s, Vault(Keyring([new_master_key()])), workspaces.create_workspace(s, "Acme"))
        leaver = world.member()
        world.share(leaver, world.account(), ItemRole.COLLABORATOR)
        open_session(s, leaver.id, ttl_s=3600)
        email = leaver.email
    engine.dispose()
    return email


def _state(email: str) -> tuple[bool, int, int]:
    engine = make_engine(Settings.from_env().database_url)
    with make_session_factory(engine)() as s:
        member = s.scalars(select(Member).where(Member.email == email)).one()
        live = s.scalars(
            select(BrokerSession.id).where(
                BrokerSession.member_id == member.id, BrokerSession.revoked_at.is_(None)
            )
        ).all()
        rotations = s.scalars(select(PasswordRotation.id)).all()
        state = (member.active, len(live), len(rotations))
    engine.dispose()
    return state


def test_deactivate_revokes_and_queues_and_reactivate_restores(store: str) -> None:
    runner = CliRunner()

    result = runner.invoke(main, ["member", "deactivate", store])

    assert result.exit_code == 0, result.output
    assert "1 session(s) and 0 extension credential(s) revoked" in result.output
    assert "1 password rotation(s) queued" in result.output
    assert _state(store) == (False, 0, 1)

    again = runner.invoke(main, ["member", "deactivate", store])
    assert "deactivated already; nothing changed" in again.output

    back = runner.invoke(main, ["member", "reactivate", store])
    assert back.exit_code == 0, back.output
    assert _state(store) == (True, 0, 1)


def test_an_unknown_email_is_an_error_and_changes_nothing(store: str) -> None:
    result = CliRunner().invoke(main, ["member", "deactivate", "nobody@example.com"])
    assert result.exit_code == 1
    assert "No member 'nobody@example.com' in the workspace 'Acme'" in result.output
    assert _state(store) == (True, 1, 0)
