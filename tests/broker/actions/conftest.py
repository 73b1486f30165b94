"""A broker context on each engine, and a workspace built through the services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from broker.context import BrokerContext
from broker.db import transaction
from broker.models import Workspace
from broker.services import workspaces
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


class Builder:
    """`with build() as world:` a World on one workspace, committed when the block ends."""

    def __init__(self, ctx: BrokerContext) -> None:
        self.ctx = ctx
        with transaction(ctx.sessions) as s:
            self.workspace_id = workspaces.create_workspace(s, "Acme").id

    @contextmanager
    def __call__(self) -> Iterator[World]:
        with transaction(self.ctx.sessions) as s:
            yield World(s, self.ctx.vault, s.get_one(Workspace, self.workspace_id))


@pytest.fixture
def build(ctx: BrokerContext) -> Builder:
    return Builder(ctx)
