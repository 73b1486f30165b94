"""`latchkey sync` runs one full pass against a real (loopback) Okta and prints a summary; it
exits 1 when Okta did not take everything."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from broker.db import make_engine, make_session_factory, transaction
from broker.keyring import Keyring, new_master_key
from broker.migrate import upgrade
from broker.models import ItemRole
from broker.services import extensions, workspaces
from broker.vault import Vault
from sandbox.org.faults import Fault, fault_injector
from sandbox.org.state import OrgUser
from sandbox.serve import RunningOrg, serve_org
from sync.cli import sync
from tests.broker.builders import World


@dataclass
class Deployment:
    org: RunningOrg
    env: dict[str, str]
    token: str
    user_id: str


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    """A migrated broker with one extended account, and the Okta org it syncs to."""
    keyring = Keyring([new_master_key()])
    url = f"sqlite:///{tmp_path / 'latchkey.db'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    token = secrets.token_urlsafe(30)
    with serve_org(api_token=token, seeded=False) as org:
        with transaction(sessions) as session:
            workspace = workspaces.create_workspace(session, "Demo")
            workspaces.set_okta_domain(session, workspace.id, org.url)
            workspaces.set_okta_token(session, workspace.id, token, vault=Vault(keyring))
            workspaces.set_extended_access(session, workspace.id, True)
            world = World(session, Vault(keyring), workspace)
            owner = world.member()
            account = world.account()
            world.share(owner, account, ItemRole.OWNER)
            extensions.extend_account(session, owner, account.id)
        user_id = owner.external_id or ""
        with org.ctx.state.locked() as state:
            state.users[user_id] = OrgUser(user_id, owner.email, owner.email, "A", "B")
        env = {
            "LATCHKEY_DATABASE_URL": url,
            "LATCHKEY_MASTER_KEYS": keyring.serialize(),
            "LATCHKEY_DATA_DIR": str(tmp_path),
        }
        yield Deployment(org, env, token, user_id)
    engine.dispose()


def test_sync_command_creates_apps_and_prints_what_it_did(deployment: Deployment) -> None:
    result = CliRunner().invoke(sync, env=deployment.env)

    assert result.exit_code == 0, result.output
    assert "Apps created" in result.output
    assert deployment.token not in result.output
    with deployment.org.ctx.state.locked() as state:
        (app,) = state.apps.values()
        assert set(app.user_ids) == {deployment.user_id}


def test_sync_command_exits_1_when_okta_fails(deployment: Deployment) -> None:
    fault_injector(deployment.org.ctx).add(Fault("/api/v1/apps*", status=503))

    result = CliRunner().invoke(sync, env=deployment.env)

    assert result.exit_code == 1
    assert "Okta answered 503" in result.stdout
    assert result.stderr.splitlines() == [
        "Error: 1 account not synced and 0 workspaces paused (Okta's answers above). "
        "Fix what they name, then run `latchkey sync` again."
    ]
