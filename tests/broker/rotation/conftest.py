"""The demo sites in-process, accounts in the vault that match them, and a runner wired to both."""

from __future__ import annotations

import httpx
import pytest

from broker.db import transaction
from broker.rotation.demo_sites import DemoSitesDriver
from broker.rotation.drivers import Drivers
from broker.rotation.runner import RotationRunner
from broker.services import workspaces
from broker.vault import Vault
from sandbox.apps import create_apps_app, demo_seed
from tests.broker.rotation.harness import SITES_URL, Clock, Sites
from tests.conftest import Database


@pytest.fixture
def sites(db: Database, vault: Vault) -> Sites:
    seed = demo_seed()
    app = create_apps_app(seed)
    with transaction(db.sessions) as session:
        workspace_id = workspaces.create_workspace(session, "Demo").id
    return Sites(db, vault, app, {s.site: s for s in seed}, workspace_id)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def runner(sites: Sites, clock: Clock) -> RotationRunner:
    driver = DemoSitesDriver([SITES_URL], transport=httpx.ASGITransport(app=sites.app))
    return RotationRunner(sites.db.sessions, sites.vault, Drivers([driver]), clock=clock.now)
