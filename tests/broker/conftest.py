"""Fixtures for the broker's tests: a vault with a fresh keyring and a world builder."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from broker.keyring import Keyring, new_master_key
from broker.services import workspaces
from broker.vault import Vault
from tests.broker.builders import World


@pytest.fixture
def vault() -> Vault:
    return Vault(Keyring([new_master_key()]))


@pytest.fixture
def world(session: Session, vault: Vault) -> World:
    workspace = workspaces.create_workspace(session, "Acme")
    return World(session, vault, workspace)
