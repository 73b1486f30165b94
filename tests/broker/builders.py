"""A world builder: a workspace made through the domain services, the way the product does."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from broker.models import Account, Collection, ItemRole, Member, Team, Workspace, WorkspaceRole
from broker.services import accounts, collections, members, shares, teams
from broker.services.shares import Subject, Target
from broker.vault import Vault


@dataclass
class World:
    """Builds a workspace through the domain services, the way the product does."""

    session: Session
    vault: Vault
    workspace: Workspace
    _count: int = field(default=0)

    def _next(self) -> int:
        self._count += 1
        return self._count

    def member(
        self,
        role: WorkspaceRole = WorkspaceRole.USER,
        *,
        okta: bool = True,
        active: bool = True,
    ) -> Member:
        n = self._next()
        return members.add_member(
            self.session,
            self.workspace.id,
            f"member{n}@example.com",
            name=f"Member {n}",
            role=role,
            external_id=f"00u{n:017d}" if okta else None,
            active=active,
        )

    def team(self, *people: Member) -> Team:
        team = teams.create_team(self.session, self.workspace.id, f"Team {self._next()}")
        teams.add_members(self.session, self.workspace.id, team.id, [p.id for p in people])
        return team

    def collection(self, parent: Collection | None = None) -> Collection:
        return collections.create_collection(
            self.session,
            self.workspace.id,
            f"Collection {self._next()}",
            parent_id=parent.id if parent else None,
        )

    def account(self, *, within: Collection | None = None, totp: str | None = None) -> Account:
        n = self._next()
        account = accounts.create_account(
            self.session,
            self.workspace.id,
            accounts.AccountInput(
                name=f"Account {n}",
                app_name="Demo",
                login_url="https://demo.example.com/login",
                username=f"user{n}",
                password=f"pw-{n}",
                totp_secret=totp,
            ),
            vault=self.vault,
        )
        if within is not None:
            collections.add_account(self.session, self.workspace.id, within.id, account.id)
        return account

    def share(
        self,
        who: Member | Team,
        on: Account | Collection,
        role: ItemRole = ItemRole.COLLABORATOR,
    ) -> None:
        subject = Subject(member_id=who.id) if isinstance(who, Member) else Subject(team_id=who.id)
        target = (
            Target(account_id=on.id) if isinstance(on, Account) else Target(collection_id=on.id)
        )
        shares.share(self.session, self.workspace.id, subject, target, role)
