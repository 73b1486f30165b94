"""The SCIM test harness: a broker with only its SCIM server mounted, and Okta-like users."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy import func, select
from starlette.applications import Starlette

from broker.context import BrokerContext
from broker.models import AuditEvent, Member, Team, TeamMembership
from broker.scim import PREFIX
from sandbox.org.scim_client import ScimClient
from sandbox.org.state import OrgGroup, OrgUser
from tests.conftest import Database

BASE_URL = "http://broker.test" + PREFIX


@dataclass
class Broker:
    db: Database
    ctx: BrokerContext
    app: Starlette
    token: str
    workspace_id: str

    def transport(self) -> httpx.ASGITransport:
        return httpx.ASGITransport(app=self.app)

    def client(self, *, user_updates: str = "put", group_updates: str = "patch") -> ScimClient:
        return ScimClient(
            BASE_URL,
            self.token,
            user_updates=user_updates,  # type: ignore[arg-type]
            group_updates=group_updates,  # type: ignore[arg-type]
            transport=self.transport(),
        )

    def raw(self, token: str | None = None) -> httpx.AsyncClient:
        """Requests as a client that is not Okta: for the bad ones."""
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.AsyncClient(
            base_url=BASE_URL + "/", transport=self.transport(), headers=headers
        )

    def member(self, email: str) -> Member | None:
        with self.db.sessions() as session:
            return session.scalar(select(Member).where(Member.email == email))

    def team_members(self, name: str) -> set[str]:
        with self.db.sessions() as session:
            return set(
                session.scalars(
                    select(Member.email)
                    .join(TeamMembership, TeamMembership.member_id == Member.id)
                    .join(Team, Team.id == TeamMembership.team_id)
                    .where(Team.name == name)
                )
            )

    def snapshot(self) -> tuple[int, int, int, int]:
        """Counts that any change would move: members, teams, memberships, audit events."""
        with self.db.sessions() as session:
            return tuple(  # type: ignore[return-value]
                session.scalar(select(func.count()).select_from(model)) or 0
                for model in (Member, Team, TeamMembership, AuditEvent)
            )


_count = iter(range(1, 10_000))


def org_user(first: str = "Ada", last: str = "Lovelace") -> OrgUser:
    n = next(_count)
    login = f"{first.lower()}.{n}@example.com"
    return OrgUser(id=f"00u{n:017d}", login=login, email=login, first_name=first, last_name=last)


def org_group(name: str) -> OrgGroup:
    return OrgGroup(id=f"00g{next(_count):017d}", name=name)
