"""Broker sessions (`broker.sessions`): hashed tokens, expiry, revocation, deactivation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from broker.models import utcnow
from broker.services import members
from broker.session_models import BrokerSession
from broker.sessions import (
    hash_token,
    open_session,
    resolve,
    revoke,
    revoke_all,
    set_session_cookie,
)
from tests.broker.builders import World
from tests.broker.web.conftest import make_settings


def test_a_token_opens_its_session_and_only_its_hash_is_stored(
    session: Session, world: World
) -> None:
    member = world.member()
    token, row = open_session(session, member.id, ttl_s=60)

    assert row.token_hash == hash_token(token) != token
    found = resolve(session, token)
    assert found is not None
    assert (found.session_id, found.member.id) == (row.id, member.id)


@pytest.mark.parametrize("token", [None, "", "x" * 500, "not-a-token"])
def test_a_missing_or_foreign_token_opens_nothing(
    session: Session, world: World, token: str | None
) -> None:
    open_session(session, world.member().id, ttl_s=60)
    assert resolve(session, token) is None


def test_an_expired_session_is_refused(session: Session, world: World) -> None:
    token, _ = open_session(session, world.member().id, ttl_s=60)
    assert resolve(session, token, now=utcnow() + timedelta(seconds=61)) is None


def test_revoking_one_session_leaves_the_others(session: Session, world: World) -> None:
    member = world.member()
    first, row = open_session(session, member.id, ttl_s=60)
    second, _ = open_session(session, member.id, ttl_s=60)

    assert revoke(session, row.id)
    assert not revoke(session, row.id)  # already ended
    assert resolve(session, first) is None
    assert resolve(session, second) is not None


def test_revoke_all_ends_every_session_of_the_member_only(session: Session, world: World) -> None:
    member, other = world.member(), world.member()
    tokens = [open_session(session, member.id, ttl_s=60)[0] for _ in range(3)]
    kept, _ = open_session(session, other.id, ttl_s=60)

    assert revoke_all(session, member.id) == 3
    assert all(resolve(session, t) is None for t in tokens)
    assert resolve(session, kept) is not None


def test_a_deactivated_members_session_is_refused_and_ended(session: Session, world: World) -> None:
    member = world.member()
    token, _ = open_session(session, member.id, ttl_s=60)
    members.set_inactive(session, world.workspace.id, member.id)

    assert resolve(session, token) is None
    members.reactivate(session, world.workspace.id, member.id)
    assert resolve(session, token) is None  # ended for good, not merely hidden
    assert session.scalars(select(BrokerSession.revoked_at)).one() is not None


def test_last_seen_is_written_at_most_once_a_minute(session: Session, world: World) -> None:
    token, row = open_session(session, world.member().id, ttl_s=3600)
    first_seen = row.last_seen_at

    resolve(session, token, now=first_seen + timedelta(seconds=30))
    assert row.last_seen_at == first_seen
    later = first_seen + timedelta(seconds=90)
    resolve(session, token, now=later)
    assert row.last_seen_at == later


@pytest.mark.parametrize(
    ("broker_url", "secure"),
    [
        ("http://127.0.0.1:8400", False),
        ("http://localhost:8400", False),
        ("https://latchkey.example.com", True),
    ],
)
def test_the_cookie_is_secure_outside_loopback(
    tmp_path: Path, broker_url: str, secure: bool
) -> None:
    response = Response()
    set_session_cookie(response, "t", make_settings(tmp_path, broker_url=broker_url))
    header = response.headers["set-cookie"].lower()
    assert ("; secure" in header) is secure
    assert "httponly" in header
    assert "samesite=lax" in header
