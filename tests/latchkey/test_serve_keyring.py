"""A serving process keeps no keyring another process has moved past (issue 16, item 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker.db import transaction
from broker.keyring import add_active_key, generate_keyring
from broker.migrate import upgrade
from broker.settings import Settings
from broker.vault import Vault
from latchkey.serve import app_from_env


def test_the_served_app_opens_secrets_sealed_under_a_key_added_after_it_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LATCHKEY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LATCHKEY_DATABASE_URL", f"sqlite:///{tmp_path / 'latchkey.db'}")
    monkeypatch.delenv("LATCHKEY_MASTER_KEYS", raising=False)
    monkeypatch.delenv("LATCHKEY_MASTER_KEY_FILE", raising=False)
    settings = Settings.from_env()
    generate_keyring(settings.master_key_file)
    app = app_from_env()
    ctx = app.state.ctx
    upgrade(ctx.sessions.kw["bind"])

    # Another process (a rotation) adds a key to the file and seals under it.
    rotated = Vault(add_active_key(settings))
    with transaction(ctx.sessions) as db:
        sealed = rotated.seal(db, "pw-after-rotation", "account.password")

    assert sealed.key_id not in ctx.vault.keyring  # this process started before the new key
    assert ctx.vault.open_text(sealed, purpose="account.password") == "pw-after-rotation"
