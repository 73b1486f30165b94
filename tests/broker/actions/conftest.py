"""A broker context over each engine's test database, for the use cases in `broker.actions`."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker.context import BrokerContext
from broker.settings import Settings
from broker.vault import Vault
from tests.conftest import Database


@pytest.fixture
def ctx(db: Database, vault: Vault, tmp_path: Path) -> BrokerContext:
    settings = Settings(
        data_dir=tmp_path,
        database_url=str(db.engine.url),
        master_key_file=tmp_path / "master.keys",
    )
    return BrokerContext(settings=settings, sessions=db.sessions, vault=vault)
