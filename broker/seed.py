"""`latchkey seed demo`: a demo workspace that shows every way access is granted or refused.

Members: an Owner, an Admin, a User who reaches an account only through a team, a User who reaches
one only through a nested collection, a Login-only member, a member with no access, a deactivated
member and one who did not come from Okta. Their Okta ids are the sandbox org's, when given.
Accounts: one per demo login site (the caller passes their URLs and credentials, so no secret lives
in the repository), with and without a verification-code step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.models import Account, ItemRole, Member, Workspace, WorkspaceRole
from broker.services import accounts, collections, members, shares, teams, workspaces
from broker.services.accounts import AccountInput, Sealer
from broker.services.shares import Subject, Target

DEMO_WORKSPACE = "Demo"
OWNER = "owner@example.com"
TEAM_USER = "collaborator@example.com"
NESTED_USER = "member@example.com"
LOGIN_ONLY = "loginonly@example.com"
FORMER = "former@example.com"


@dataclass(frozen=True)
class DemoLogin:
    """A login on a demo site, to become a vault account."""

    name: str
    app_name: str
    login_url: str
    username: str
    password: str
    totp_secret: str | None = None


@dataclass(frozen=True)
class DemoMember:
    email: str
    name: str
    role: WorkspaceRole
    okta_id: str | None
    story: str  # what the demo shows with this member


def demo_members(okta_ids: dict[str, str] | None = None) -> list[DemoMember]:
    """The demo's people; `okta_ids` (by email) are their Okta user ids (the sandbox org's)."""
    ids = okta_ids or {}

    def okta(email: str) -> str | None:
        return ids.get(email, "00u" + email.split("@")[0].replace(".", "").ljust(17, "0")[:17])

    people = [
        (OWNER, "Olivia Owner", WorkspaceRole.OWNER, "owns every account"),
        ("admin@example.com", "Adam Admin", WorkspaceRole.ADMIN, "manages settings, no accounts"),
        (TEAM_USER, "Casey Collaborator", WorkspaceRole.USER, "reaches one via a team"),
        (NESTED_USER, "Morgan Member", WorkspaceRole.USER, "via a nested collection"),
        (LOGIN_ONLY, "Lee Loginonly", WorkspaceRole.LOGIN_ONLY, "never launches"),
        ("outsider@example.com", "Oscar Outsider", WorkspaceRole.USER, "no share at all"),
        (FORMER, "Fred Former", WorkspaceRole.USER, "deactivated"),
        ("local@example.com", "Lana Local", WorkspaceRole.USER, "not from Okta: cannot extend"),
    ]
    return [
        DemoMember(email, name, role, None if email.startswith("local") else okta(email), story)
        for email, name, role, story in people
    ]


@dataclass(frozen=True)
class DemoWorkspace:
    workspace_id: str
    member_ids: dict[str, str]  # email -> member id
    account_ids: list[str]


def seed_demo(
    session: Session,
    vault: Sealer,
    logins: Sequence[DemoLogin],
    *,
    okta_ids: dict[str, str] | None = None,
) -> DemoWorkspace:
    """Create the demo workspace (replacing an earlier one) in the caller's transaction."""
    if len(logins) < 3:
        raise ValueError("the demo needs three logins: single page, two steps, code step")
    old = session.scalar(select(Workspace).where(Workspace.name == DEMO_WORKSPACE))
    if old is not None:
        session.delete(old)
        session.flush()
    ws = workspaces.create_workspace(session, DEMO_WORKSPACE).id
    people: dict[str, Member] = {}
    for person in demo_members(okta_ids):
        people[person.email] = members.add_member(
            session,
            ws,
            person.email,
            name=person.name,
            role=person.role,
            external_id=person.okta_id,
        )
    created = [
        accounts.create_account(
            session,
            ws,
            AccountInput(
                name=login.name,
                app_name=login.app_name,
                login_url=login.login_url,
                username=login.username,
                password=login.password,
                totp_secret=login.totp_secret,
            ),
            vault=vault,
        )
        for login in logins
    ]
    single, two_step, with_code = created[:3]

    engineering = collections.create_collection(session, ws, "Engineering")
    infra = collections.create_collection(session, ws, "Infrastructure", parent_id=engineering.id)
    prod = collections.create_collection(session, ws, "Production", parent_id=infra.id)
    collections.add_account(session, ws, prod.id, with_code.id)
    support = teams.create_team(session, ws, "Support")
    teams.add_members(session, ws, support.id, [people[TEAM_USER].id])

    def grant(who: Subject, on: Target, role: ItemRole) -> None:
        shares.share(session, ws, who, on, role)

    owner = Subject(member_id=people[OWNER].id)
    for account in created:
        grant(owner, Target(account_id=account.id), ItemRole.OWNER)
    grant(Subject(team_id=support.id), Target(account_id=single.id), ItemRole.COLLABORATOR)
    grant(
        Subject(member_id=people[NESTED_USER].id),
        Target(collection_id=engineering.id),
        ItemRole.COLLABORATOR,
    )
    for email in (LOGIN_ONLY, FORMER):
        grant(
            Subject(member_id=people[email].id),
            Target(account_id=two_step.id),
            ItemRole.COLLABORATOR,
        )
    # The flag alone (not `broker.actions.members.deactivate`): a member just made has no
    # session or credential to revoke and has seen no password worth rotating.
    members.set_inactive(session, ws, people[FORMER].id)
    workspaces.set_extended_access(session, ws, True)
    return DemoWorkspace(ws, {e: m.id for e, m in people.items()}, [a.id for a in created])


def demo_accounts(session: Session, workspace_id: str) -> list[Account]:
    return list(
        session.scalars(
            select(Account)
            .where(Account.workspace_id == workspace_id, Account.deleted_at.is_(None))
            .order_by(Account.created_at)
        )
    )
