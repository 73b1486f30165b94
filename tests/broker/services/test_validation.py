"""Services refuse bad input with a typed error, and nothing half-written remains."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.db import transaction
from broker.errors import Conflict, InvalidInput, NotFound
from broker.models import Account, ItemRole, SealedSecret, Share, WorkspaceRole
from broker.services import accounts, collections, members, shares, teams, workspaces
from broker.services.accounts import AccountInput
from broker.services.shares import Subject, Target
from broker.vault import Vault
from tests.broker.builders import World
from tests.conftest import Database


def _input(**changes: str) -> AccountInput:
    base = {
        "name": "Payroll",
        "app_name": "Globex",
        "login_url": "https://payroll.example.com/login",
        "username": "ops",
        "password": "s3cret-pw",
    }
    return AccountInput(**(base | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://files.example.com/",
        "https://",
        "//example.com/login",
        "https://user:pw@example.com/login",
        "file:///etc/passwd",
    ],
)
def test_login_url_must_be_http_or_https(world: World, session: Session, url: str) -> None:
    with pytest.raises(InvalidInput) as error:
        accounts.create_account(
            session, world.workspace.id, _input(login_url=url), vault=world.vault
        )
    assert error.value.field == "login_url"
    assert session.scalar(select(func.count()).select_from(SealedSecret)) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "   "}, "name"),
        ({"app_name": ""}, "app_name"),
        ({"username": " "}, "username"),
        ({"password": ""}, "password"),
        ({"totp_secret": "not base32!"}, "totp_secret"),
        ({"totp_secret": "JBSWY3DP"}, "totp_secret"),  # 40 bits: too short
        ({"name": "x" * 201}, "name"),
    ],
)
def test_account_fields_are_validated_before_anything_is_written(
    world: World, session: Session, changes: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        accounts.create_account(session, world.workspace.id, _input(**changes), vault=world.vault)
    assert error.value.field == field
    assert session.scalar(select(func.count()).select_from(Account)) == 0
    assert session.scalar(select(func.count()).select_from(SealedSecret)) == 0


def test_totp_secret_of_80_bits_and_otpauth_uri_are_accepted(
    world: World, session: Session
) -> None:
    short = accounts.create_account(
        session, world.workspace.id, _input(totp_secret="JBSW Y3DP EHPK 3PXP"), vault=world.vault
    )
    uri = accounts.create_account(
        session,
        world.workspace.id,
        _input(totp_secret="otpauth://totp/Globex:ops?secret=JBSWY3DPEHPK3PXP&digits=8"),
        vault=world.vault,
    )
    assert short.totp_secret_id is not None
    assert uri.totp_secret_id is not None


def test_unknown_and_foreign_ids_are_not_found(world: World, session: Session) -> None:
    other = World(session, world.vault, workspaces.create_workspace(session, "Other"))
    foreign_account = other.account()
    member = world.member()
    cases = [
        lambda: members.set_inactive(session, world.workspace.id, "nope"),
        lambda: teams.add_members(session, world.workspace.id, "nope", [member.id]),
        lambda: collections.create_collection(session, world.workspace.id, "X", parent_id="nope"),
        lambda: accounts.rename_account(session, world.workspace.id, foreign_account.id, name="Y"),
        lambda: shares.share(
            session,
            world.workspace.id,
            Subject(member_id=member.id),
            Target(account_id=foreign_account.id),
            ItemRole.OWNER,
        ),
    ]
    for call in cases:
        with pytest.raises(NotFound):
            call()
    assert session.scalar(select(func.count()).select_from(Share)) == 0


def test_login_only_member_cannot_be_made_owner(world: World, session: Session) -> None:
    restricted = world.member(WorkspaceRole.LOGIN_ONLY)
    account = world.account()
    with pytest.raises(InvalidInput, match="Collaborator"):
        world.share(restricted, account, ItemRole.OWNER)
    world.share(restricted, account, ItemRole.COLLABORATOR)

    owner = world.member()
    world.share(owner, account, ItemRole.OWNER)
    with pytest.raises(InvalidInput, match="Collaborator"):
        members.set_role(session, world.workspace.id, owner.id, WorkspaceRole.LOGIN_ONLY)
    assert owner.role is WorkspaceRole.USER


def test_collection_cycles_are_refused(world: World, session: Session) -> None:
    top = world.collection()
    middle = world.collection(parent=top)
    bottom = world.collection(parent=middle)
    for new_parent in (top, middle, bottom):
        with pytest.raises(InvalidInput, match="inside itself"):
            collections.move_collection(session, world.workspace.id, top.id, new_parent.id)
    assert top.parent_id is None
    collections.move_collection(session, world.workspace.id, bottom.id, None)
    assert bottom.parent_id is None


def test_duplicate_names_are_conflicts(world: World, session: Session) -> None:
    ws = world.workspace.id
    members.add_member(session, ws, "dup@example.com", external_id="00uDUP")
    top = collections.create_collection(session, ws, "Finance")
    collections.create_collection(session, ws, "Reports", parent_id=top.id)
    teams.create_team(session, ws, "Ops")
    cases = [
        lambda: members.add_member(session, ws, "dup@example.com"),
        lambda: members.add_member(session, ws, "other@example.com", external_id="00uDUP"),
        lambda: teams.create_team(session, ws, "  Ops "),
        lambda: collections.create_collection(session, ws, "Finance"),
        lambda: collections.create_collection(session, ws, "Reports", parent_id=top.id),
        lambda: workspaces.create_workspace(session, world.workspace.name),
    ]
    for call in cases:
        with pytest.raises(Conflict):
            call()
    # The same name is fine in another place.
    collections.create_collection(session, ws, "Reports")


def test_okta_domain_must_be_https(world: World, session: Session) -> None:
    for bad in ("http://acme.okta.com", "acme.okta.com", "https://acme.okta.com/oauth2", "ftp://x"):
        with pytest.raises(InvalidInput):
            workspaces.set_okta_domain(session, world.workspace.id, bad)
    ws = workspaces.set_okta_domain(session, world.workspace.id, " https://acme.okta.com/ ")
    assert ws.okta_domain == "https://acme.okta.com"
    ws = workspaces.set_okta_domain(session, world.workspace.id, "http://127.0.0.1:8410")
    assert ws.okta_domain == "http://127.0.0.1:8410"


def test_a_failed_unit_of_work_leaves_nothing(db: Database, vault: Vault) -> None:
    with transaction(db.sessions) as session:
        ws = workspaces.create_workspace(session, "Acme").id
        member = members.add_member(session, ws, "m@example.com", role=WorkspaceRole.LOGIN_ONLY)

    def extend_badly() -> None:
        with transaction(db.sessions) as session:
            account = accounts.create_account(session, ws, _input(), vault=vault)
            subject, target = Subject(member_id=member.id), Target(account_id=account.id)
            shares.share(session, ws, subject, target, ItemRole.OWNER)

    with pytest.raises(InvalidInput):
        extend_badly()
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 0
        assert session.scalar(select(func.count()).select_from(SealedSecret)) == 0


def test_profile_change_to_a_taken_email_is_a_conflict(world: World, session: Session) -> None:
    first, second = world.member(), world.member()
    with pytest.raises(Conflict):
        members.update_profile(
            session, world.workspace.id, second.id, email=first.email, name="Someone"
        )
    renamed = members.update_profile(
        session, world.workspace.id, second.id, email="new@example.com", name="  New   Name "
    )
    assert (renamed.email, renamed.name) == ("new@example.com", "New Name")
