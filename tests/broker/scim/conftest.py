"""A broker with only its SCIM server mounted, and Okta's own SCIM client pointed at it."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from broker.context import BrokerContext
from broker.db import transaction
from broker.scim import PREFIX, routes
from broker.services import workspaces
from broker.settings import Secret, Settings
from broker.vault import Vault
from sandbox.org.scim_client import ScimClient
from tests.broker.scim.harness import Broker
from tests.conftest import Database


@pytest.fixture
def broker(db: Database, vault: Vault, tmp_path: Path) -> Broker:
    token = secrets.token_urlsafe(32)
    settings = Settings(
        data_dir=tmp_path,
        database_url="sqlite://",  # unused: the context carries the test's sessions
        master_key_file=tmp_path / "master.keys",
        broker_url="http://broker.test",
        workspace_name="Demo",
        scim_token=Secret(token),
    )
    with transaction(db.sessions) as session:
        workspace_id = workspaces.create_workspace(session, "Demo").id
    ctx = BrokerContext(settings, db.sessions, vault)
    app = Starlette(routes=[Mount(PREFIX, routes=routes(ctx))])
    return Broker(db, ctx, app, token, workspace_id)


@pytest.fixture
async def okta(broker: Broker) -> AsyncIterator[ScimClient]:
    async with broker.client() as client:
        yield client
