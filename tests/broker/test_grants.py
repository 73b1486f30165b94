from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from broker.db import transaction
from broker.errors import NotFound
from broker.ext_tables import LaunchGrant
from broker.grants import (
    GRANT_TTL,
    ExpiredGrant,
    ForeignGrant,
    GrantError,
    UnknownGrant,
    UsedGrant,
    issue_grant,
    redeem_grant,
)
from broker.models import utcnow
from broker.services import workspaces
from broker.tokens import hash_token
from broker.vault import Vault
from tests.broker.builders import World

if TYPE_CHECKING:
    from tests.conftest import Database


@dataclass(frozen=True)
class Launch:
    member_id: str
    other_id: str
    account_id: str


@pytest.fixture
def launch(world: World) -> Launch:
    member, other = world.member(), world.member()
    account = world.account()
    world.share(member, account)
    return Launch(member.id, other.id, account.id)


def _issue(session: Session, launch: Launch, **kwargs: object) -> str:
    return issue_grant(
        session,
        member_id=launch.member_id,
        account_id=launch.account_id,
        session_id="broker-session-1",
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_grant_is_stored_only_as_its_digest_bound_to_member_account_and_session(
    session: Session, launch: Launch
) -> None:
    token = _issue(session, launch)
    row = session.scalars(select(LaunchGrant)).one()
    assert len(token) >= 43  # 256 bits, base64url
    assert row.token_hash == hash_token(token) != token
    assert (row.member_id, row.account_id, row.session_id) == (
        launch.member_id,
        launch.account_id,
        "broker-session-1",
    )
    assert row.expires_at - row.created_at == GRANT_TTL <= timedelta(seconds=60)


def test_grants_are_random(session: Session, launch: Launch) -> None:
    assert len({_issue(session, launch) for _ in range(20)}) == 20


def test_redeeming_returns_the_binding_and_spends_the_grant(
    session: Session, launch: Launch
) -> None:
    token = _issue(session, launch)
    redeemed = redeem_grant(session, token, member_id=launch.member_id, redeemed_by_id="cred")
    assert (redeemed.member_id, redeemed.account_id, redeemed.session_id) == (
        launch.member_id,
        launch.account_id,
        "broker-session-1",
    )
    with pytest.raises(UsedGrant):
        redeem_grant(session, token, member_id=launch.member_id)


@pytest.mark.parametrize(
    ("tamper", "error"),
    [
        (lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), UnknownGrant),
        (lambda t: "", UnknownGrant),
        (lambda t: t + "x", UnknownGrant),
    ],
    ids=["last-character-changed", "empty", "extended"],
)
def test_a_tampered_grant_is_unknown(
    session: Session, launch: Launch, tamper: object, error: type[GrantError]
) -> None:
    token = _issue(session, launch)
    with pytest.raises(error) as raised:
        redeem_grant(session, tamper(token), member_id=launch.member_id)  # type: ignore[operator]
    assert raised.value.code == "invalid_grant"
    redeem_grant(session, token, member_id=launch.member_id)  # the real one still works


def test_an_expired_grant_is_refused_and_stays_unspent(session: Session, launch: Launch) -> None:
    token = _issue(session, launch, now=utcnow() - GRANT_TTL - timedelta(seconds=1))
    with pytest.raises(ExpiredGrant):
        redeem_grant(session, token, member_id=launch.member_id)
    assert session.scalars(select(LaunchGrant)).one().redeemed_at is None


def test_another_members_redemption_is_refused_and_leaves_the_grant_usable(
    session: Session, launch: Launch
) -> None:
    token = _issue(session, launch)
    with pytest.raises(ForeignGrant):
        redeem_grant(session, token, member_id=launch.other_id)
    assert redeem_grant(session, token, member_id=launch.member_id).member_id == launch.member_id


def test_issuing_for_an_account_of_another_workspace_is_refused(
    session: Session, vault: Vault, launch: Launch
) -> None:
    elsewhere = World(session, vault, workspaces.create_workspace(session, "Elsewhere")).account()
    with pytest.raises(NotFound):
        issue_grant(session, member_id=launch.member_id, account_id=elsewhere.id, session_id="s")


def test_a_grant_needs_a_broker_session(session: Session, launch: Launch) -> None:
    with pytest.raises(ValueError, match="session"):
        issue_grant(
            session, member_id=launch.member_id, account_id=launch.account_id, session_id=""
        )


def test_two_concurrent_redemptions_exactly_one_wins(db: Database, vault: Vault) -> None:
    factory: sessionmaker[Session] = db.sessions
    with transaction(factory) as session:
        world = World(session, vault, workspaces.create_workspace(session, "Acme"))
        member, account = world.member(), world.account()
        world.share(member, account)
        token = issue_grant(session, member_id=member.id, account_id=account.id, session_id="s")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def redeem() -> None:
        start.wait()
        try:
            with transaction(factory) as s:
                redeem_grant(s, token, member_id=member.id)
                time.sleep(0.2)  # hold the win open so the other redemption really overlaps
            outcomes.append("won")
        except GrantError as exc:
            outcomes.append(exc.reason)

    threads = [threading.Thread(target=redeem) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["used", "won"]
