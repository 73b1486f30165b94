"""What every request handler and worker of the broker shares: settings, the store and the vault."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from broker.db import Executor
from broker.errors import NotFound
from broker.models import Workspace
from broker.settings import Settings
from broker.vault import Vault


@dataclass(frozen=True)
class BrokerContext:
    settings: Settings
    sessions: sessionmaker[Session]
    vault: Vault

    def workspace_id(self, session: Executor) -> str:
        """The workspace this deployment serves (`LATCHKEY_WORKSPACE`)."""
        found = session.scalar(
            select(Workspace.id).where(Workspace.name == self.settings.workspace_name)
        )
        if found is None:
            raise NotFound(f"No workspace named {self.settings.workspace_name!r}.")
        return found
