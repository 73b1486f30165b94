"""Helpers for the rotation tests: the demo sites, their accounts in the vault, a movable clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from starlette.applications import Starlette

from broker.db import transaction
from broker.models import Account, AuditEvent, SealedSecret, utcnow
from broker.rotation.queue import request_rotation
from broker.services import accounts
from broker.vault import Vault
from sandbox.apps import SiteSeed
from sandbox.apps.context import AppsContext
from tests.conftest import Database

SITES_URL = "https://sites.test"


@dataclass
class Clock:
    """The real time, moved forward by `offset` (to let leases and backoff run out)."""

    offset: timedelta = timedelta(0)

    def now(self) -> datetime:
        return utcnow() + self.offset


@dataclass
class Sites:
    db: Database
    vault: Vault
    app: Starlette
    seed: dict[str, SiteSeed]
    workspace_id: str

    def account(self, site: str, *, with_totp: bool = True, queue: bool = True) -> str:
        """A vault account holding the site's current login, with its rotation queued."""
        entry = self.seed[site]
        with transaction(self.db.sessions) as session:
            account = accounts.create_account(
                session,
                self.workspace_id,
                accounts.AccountInput(
                    name=entry.name,
                    app_name=entry.name,
                    login_url=entry.login_url(SITES_URL),
                    username=entry.username,
                    password=entry.password,
                    totp_secret=entry.totp_secret if with_totp else None,
                ),
                vault=self.vault,
            )
            if queue:
                request_rotation(session, self.workspace_id, [account.id], "member deactivated")
            return account.id

    def vault_password(self, account_id: str) -> str:
        with self.db.sessions() as session:
            account = session.get(Account, account_id)
            assert account is not None
            assert account.password_secret_id is not None
            secret = session.get(SealedSecret, account.password_secret_id)
            assert secret is not None
            return self.vault.open_text(secret, purpose="account.password")

    def site_accepts(self, site: str, password: str) -> bool:
        """The site's own check, as its login form makes it."""
        ctx: AppsContext = self.app.state.ctx
        return ctx.book.check_password(site, self.seed[site].username, password)

    def audit_actions(self, account_id: str) -> list[str]:
        with self.db.sessions() as session:
            return list(
                session.scalars(
                    select(AuditEvent.action)
                    .where(AuditEvent.target_id == account_id)
                    .order_by(AuditEvent.id)
                )
            )

    def candidate_secrets(self) -> int:
        with self.db.sessions() as session:
            return len(
                session.scalars(
                    select(SealedSecret.id).where(SealedSecret.purpose == "rotation.candidate")
                ).all()
            )
