"""Timestamps come back as aware UTC datetimes on both engines, and a naive one is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from broker.models import Workspace
from tests.conftest import Database


def test_a_stored_time_reads_back_aware_in_utc(db: Database) -> None:
    paris = timezone(timedelta(hours=1))
    written = datetime(2026, 12, 2, 13, 30, tzinfo=paris)
    with db.sessions() as s, s.begin():
        s.add(Workspace(name="Acme", created_at=written))
    with db.sessions() as s:
        read = s.scalars(select(Workspace.created_at)).one()
    assert read.tzinfo is UTC
    assert read == written
    assert read.hour == 12


def test_a_naive_time_is_refused(session: Session) -> None:
    session.add(Workspace(name="Acme", created_at=datetime(2026, 12, 2, 12, 0)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()
