"""Users provisioned by Okta's own SCIM client: created after a lookup, updated, (de)activated."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from broker import rbac
from broker.db import transaction
from broker.ext_tables import ExtensionCredential
from broker.models import Account, ItemRole, Member, SyncOutbox, WorkspaceRole, utcnow
from broker.rotation.models import PasswordRotation, RotationStatus
from broker.services import accounts, extensions, shares, workspaces
from broker.services.shares import Subject, Target
from broker.session_models import BrokerSession
from broker.sessions import open_session, resolve
from sandbox.org.scim_client import ScimClient
from sandbox.org.state import OrgUser
from tests.broker.scim.harness import Broker, org_user

pytestmark = pytest.mark.anyio


async def test_okta_creates_a_user_it_cannot_find_as_a_member_with_its_okta_id(
    broker: Broker, okta: ScimClient
) -> None:
    user = org_user("Grace", "Hopper")

    scim_id = await okta.push_user(user)

    member = broker.member(user.login)
    assert member is not None
    assert (member.scim_id, member.external_id) == (scim_id, user.id)
    assert (member.name, member.role, member.active) == ("Grace Hopper", WorkspaceRole.USER, True)


async def test_a_second_push_finds_the_user_and_replaces_it_instead_of_creating_another(
    broker: Broker, okta: ScimClient
) -> None:
    user = org_user()
    first = await okta.push_user(user)
    okta.links.users.clear()  # Okta forgot the id: it looks the user up by userName again

    assert await okta.find_user(user.login.upper()) == first
    assert await okta.push_user(user) == first
    assert broker.snapshot()[0] == 1


@pytest.mark.parametrize("updates", ["put", "patch"])
async def test_a_profile_update_reaches_the_member(broker: Broker, updates: str) -> None:
    user = org_user("Ada", "Lovelace")
    async with broker.client(user_updates=updates) as okta:
        await okta.push_user(user)
        user.first_name, user.login, user.email = "Augusta", "augusta@example.com", "a@x.test"
        await okta.push_user(user)  # Okta pushes profile changes by full PUT in either mode

    member = broker.member("augusta@example.com")
    assert member is not None
    assert member.name == "Augusta Lovelace"


async def _provisioned_owner_of_an_extended_account(
    broker: Broker, okta: ScimClient
) -> tuple[OrgUser, Member, Account, str]:
    """A member Okta provisioned, Owner of an account extended to Okta, signed in."""
    user = org_user()
    await okta.push_user(user)
    member = broker.member(user.login)
    assert member is not None
    with transaction(broker.db.sessions) as session:
        ws = broker.workspace_id
        workspaces.set_extended_access(session, ws, True)
        account = accounts.create_account(
            session,
            ws,
            accounts.AccountInput(
                name="Files",
                app_name="Acme",
                login_url="https://files.example.com/login",
                username="team@example.com",
                password="correct horse",
            ),
            vault=broker.ctx.vault,
        )
        shares.share(
            session, ws, Subject(member_id=member.id), Target(account_id=account.id), ItemRole.OWNER
        )
        actor = session.get(Member, member.id)
        assert actor is not None
        extensions.extend_account(session, actor, account.id)
        token, browser = open_session(session, member.id, ttl_s=3600)
        session.add(
            ExtensionCredential(
                token_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
                workspace_id=ws,
                member_id=member.id,
                jkt="k" * 43,
                public_jwk={},
                origin="chrome-extension://test",
                session_id=browser.id,
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
        session.execute(delete(SyncOutbox))
    return user, member, account, token


@pytest.mark.parametrize("updates", ["put", "patch"])
async def test_deactivation_offboards_the_member_at_once(broker: Broker, updates: str) -> None:
    async with broker.client(user_updates=updates) as okta:
        user, member, account, token = await _provisioned_owner_of_an_extended_account(broker, okta)

        await okta.deactivate_user(user)

    with transaction(broker.db.sessions) as session:
        now = session.get(Member, member.id)
        assert now is not None
        assert now.active is False
        assert not rbac.can_launch(session, now, account.id)
        assert session.get(SyncOutbox, account.id) is not None
        assert resolve(session, token) is None
        assert session.scalar(select(BrokerSession.revoked_at)) is not None
        assert session.scalar(select(ExtensionCredential.revoked_at)) is not None
        jobs = session.scalars(select(PasswordRotation)).all()
        assert [(j.account_id, j.status) for j in jobs] == [(account.id, RotationStatus.PENDING)]


async def test_reactivation_gives_access_back_without_a_second_rotation(
    broker: Broker, okta: ScimClient
) -> None:
    user, member, account, _ = await _provisioned_owner_of_an_extended_account(broker, okta)
    await okta.deactivate_user(user)
    await okta.deactivate_user(user)  # Okta may repeat itself: nothing more happens

    await okta.set_active(user, True)

    with transaction(broker.db.sessions) as session:
        now = session.get(Member, member.id)
        assert now is not None
        assert now.active
        assert rbac.can_launch(session, now, account.id)
        assert len(session.scalars(select(PasswordRotation)).all()) == 1


async def test_a_login_only_member_never_had_credentials_so_nothing_is_rotated(
    broker: Broker, okta: ScimClient
) -> None:
    user, member, _, _ = await _provisioned_owner_of_an_extended_account(broker, okta)
    with transaction(broker.db.sessions) as session:
        row = session.get(Member, member.id)
        assert row is not None
        row.role = WorkspaceRole.LOGIN_ONLY  # the rule, not how they got there, is under test

    await okta.deactivate_user(user)

    with transaction(broker.db.sessions) as session:
        assert session.scalars(select(PasswordRotation)).all() == []


PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.mark.parametrize(
    ("operation", "active", "name"),
    [
        ({"op": "replace", "value": {"active": False}}, False, "Ada Lovelace"),
        ({"op": "replace", "path": "active", "value": False}, False, "Ada Lovelace"),
        ({"op": "replace", "path": "displayName", "value": "Ada King"}, True, "Ada King"),
        ({"op": "replace", "value": {"displayName": "Ada King", "active": True}}, True, "Ada King"),
    ],
    ids=["active without path", "active with path", "name with path", "name without path"],
)
async def test_patch_works_with_and_without_a_path(
    broker: Broker, okta: ScimClient, operation: dict[str, object], active: bool, name: str
) -> None:
    user = org_user("Ada", "Lovelace")
    scim_id = await okta.push_user(user)

    async with broker.raw() as http:
        response = await http.patch(
            f"Users/{scim_id}",
            json={"schemas": [PATCH_OP], "Operations": [operation]},
            headers={"Content-Type": "application/scim+json"},
        )

    assert response.status_code == 200, response.json()
    assert (response.json()["active"], response.json()["displayName"]) == (active, name)
    member = broker.member(user.login)
    assert member is not None
    assert (member.active, member.name) == (active, name)
