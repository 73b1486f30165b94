"""`latchkey sync` runs one full pass against a real (loopback) Okta and prints a summary."""

from __future__ import annotations

import secrets
from pathlib import Path

from click.testing import CliRunner

from broker.db import make_engine, make_session_factory, transaction
from broker.keyring import Keyring, new_master_key
from broker.migrate import upgrade
from broker.models import ItemRole
from broker.services import extensions, workspaces
from broker.vault import Vault
from sandbox.org.state import OrgUser
from sandbox.serve import serve_org
from sync.cli import sync
from tests.broker.builders import World


def test_sync_command_creates_apps_and_prints_what_it_did(tmp_path: Path) -> None:
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
        with org.ctx.state.locked() as state:
            user_id = owner.external_id or ""
            state.users[user_id] = OrgUser(user_id, owner.email, owner.email, "A", "B")

        result = CliRunner().invoke(
            sync,
            env={
                "LATCHKEY_DATABASE_URL": url,
                "LATCHKEY_MASTER_KEYS": keyring.serialize(),
                "LATCHKEY_DATA_DIR": str(tmp_path),
            },
        )

        assert result.exit_code == 0, result.output
        assert "Apps created" in result.output
        assert token not in result.output
        with org.ctx.state.locked() as state:
            (app,) = state.apps.values()
            assert set(app.user_ids) == {user_id}
    engine.dispose()
