"""Group Push as Okta's client sends it: groups become teams whose members RBAC sees."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from broker import rbac
from broker.actions import teams as team_actions
from broker.db import transaction
from broker.errors import Conflict
from broker.models import Account, ItemRole, Member, SyncOutbox, Team, WorkspaceRole
from broker.services import accounts, extensions, members, shares, workspaces
from broker.services import teams as team_service
from broker.services.shares import Subject, Target
from sandbox.org.scim_client import ScimClient
from tests.broker.scim.harness import Broker, org_group, org_user

pytestmark = pytest.mark.anyio


def _account_shared_with_team(broker: Broker, team_name: str, owner_email: str) -> Account:
    """An extended account the team holds as Collaborator (sync queue emptied after)."""
    with transaction(broker.db.sessions) as session:
        ws = broker.workspace_id
        workspaces.set_extended_access(session, ws, True)
        account = accounts.create_account(
            session,
            ws,
            accounts.AccountInput("Payroll", "Globex", "https://pay.example.com/login", "hr", "pw"),
            vault=broker.ctx.vault,
        )
        owner = session.scalar(select(Member).where(Member.email == owner_email))
        team = session.scalar(select(Team).where(Team.name == team_name))
        assert owner is not None
        assert team is not None
        shares.share(
            session, ws, Subject(member_id=owner.id), Target(account_id=account.id), ItemRole.OWNER
        )
        shares.share(
            session,
            ws,
            Subject(team_id=team.id),
            Target(account_id=account.id),
            ItemRole.COLLABORATOR,
        )
        extensions.extend_account(session, owner, account.id)
        session.execute(delete(SyncOutbox))
    return account


def _can_launch(broker: Broker, email: str, account: Account) -> bool:
    with broker.db.sessions() as session:
        member = session.scalar(select(Member).where(Member.email == email))
        assert member is not None
        return rbac.can_launch(session, member, account.id)


def _sync_queued(broker: Broker, account: Account) -> bool:
    with broker.db.sessions() as session:
        return session.get(SyncOutbox, account.id) is not None


@pytest.mark.parametrize("group_updates", ["patch", "put"])
async def test_group_push_membership_changes_reach_rbac_and_sync(
    broker: Broker, group_updates: str
) -> None:
    ada, bob, cy = org_user("Ada"), org_user("Bob"), org_user("Cy")
    group = org_group("Engineering")
    async with broker.client(group_updates=group_updates) as okta:
        await okta.push_group(group, [ada, bob])
        assert broker.team_members("Engineering") == {ada.login, bob.login}
        account = _account_shared_with_team(broker, "Engineering", ada.login)
        assert _can_launch(broker, bob.login, account)

        await okta.push_group(group, [ada, cy])  # Bob leaves, Cy joins

    assert broker.team_members("Engineering") == {ada.login, cy.login}
    assert not _can_launch(broker, bob.login, account)
    assert _can_launch(broker, cy.login, account)
    assert _sync_queued(broker, account)


@pytest.mark.parametrize("group_updates", ["patch", "put"])
async def test_a_renamed_okta_group_renames_the_team(broker: Broker, group_updates: str) -> None:
    group = org_group("Sales")
    async with broker.client(group_updates=group_updates) as okta:
        scim_id = await okta.push_group(group, [org_user()])
        group.name = "Sales EMEA"
        await okta.push_group(group, [])

    with broker.db.sessions() as session:
        team = session.scalar(select(Team).where(Team.scim_id == scim_id))
        assert team is not None
        assert team.name == "Sales EMEA"
    assert broker.team_members("Sales EMEA") == set()


async def test_deleting_the_group_deletes_the_team_and_the_access_it_gave(broker: Broker) -> None:
    ada, bob = org_user("Ada"), org_user("Bob")
    group = org_group("Ops")
    async with broker.client() as okta:
        await okta.push_group(group, [ada, bob])
        account = _account_shared_with_team(broker, "Ops", ada.login)

        await okta.delete_group(group)

    with broker.db.sessions() as session:
        assert session.scalar(select(Team).where(Team.name == "Ops")) is None
    assert not _can_launch(broker, bob.login, account)
    assert _sync_queued(broker, account)


async def test_groups_are_found_by_display_name_and_listed_with_numbers(broker: Broker) -> None:
    async with broker.client() as okta:
        scim_id = await okta.push_group(org_group("Finance"), [org_user()])
    async with broker.raw() as http:
        found = await http.get("Groups", params={"filter": 'displayName eq "finance"'})
        bare = await http.get(f"Groups/{scim_id}", params={"excludedAttributes": "members"})

    body = found.json()
    assert found.headers["content-type"].startswith("application/scim+json")
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (1, 1, 1)
    assert body["Resources"][0]["id"] == scim_id
    assert len(body["Resources"][0]["members"]) == 1
    assert "members" not in bare.json()


async def test_a_group_pushed_without_external_id_is_managed_by_okta_and_refuses_hand_edits(
    broker: Broker, okta: ScimClient
) -> None:
    """Okta's Group Push sends no externalId on create (Okta SCIM 2.0 reference, "Create
    Groups"): the team is still Okta's, and the broker's own edits are refused, changing nothing."""
    ada, bob = org_user("Ada"), org_user("Bob")
    scim_id = await okta.push_group(org_group("Finance"), [ada])
    await okta.push_user(bob)
    with transaction(broker.db.sessions) as session:
        boss = members.add_member(
            session, broker.workspace_id, "boss@example.com", role=WorkspaceRole.ADMIN
        ).id
        handmade = team_service.create_team(session, broker.workspace_id, "Made here").id
        pushed = session.scalar(select(Team).where(Team.scim_id == scim_id))
        assert pushed is not None
        assert pushed.external_id is None
        pushed_id = pushed.id
        bob_id = session.scalar(select(Member.id).where(Member.email == bob.login))
        assert bob_id is not None

    assert team_actions.team(broker.ctx, boss, pushed_id).managed_by_okta
    assert {r.name: r.managed_by_okta for r in team_actions.listing(broker.ctx, boss)} == {
        "Finance": True,
        "Made here": False,
    }
    for edit in (
        lambda: team_actions.rename(broker.ctx, boss, pushed_id, "Money"),
        lambda: team_actions.add_members(broker.ctx, boss, pushed_id, [bob_id]),
        lambda: team_actions.delete(broker.ctx, boss, pushed_id),
    ):
        with pytest.raises(Conflict, match="Okta"):
            edit()
    assert broker.team_members("Finance") == {ada.login}

    team_actions.rename(broker.ctx, boss, handmade, "Made in Latchkey")
    team_actions.add_members(broker.ctx, boss, handmade, [bob_id])
    assert broker.team_members("Made in Latchkey") == {bob.login}
    assert not team_actions.team(broker.ctx, boss, handmade).managed_by_okta
