"""The store: SQLAlchemy engine and sessions for SQLite (embedded default) and PostgreSQL.

Nothing waits on the database for ever: a connection that is not made within the connect timeout
and a statement that runs past the statement timeout fail with `OperationalError`, on both
engines (PostgreSQL: libpq's `connect_timeout` and the server's `statement_timeout`; SQLite: its
busy timeout and a progress handler that interrupts a statement past its deadline). A database
that accepts connections and never answers so stops a command with an error instead of a hang.
"""

from __future__ import annotations

import math
import random
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import DateTime, Dialect, MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from broker.settings import Settings

CONNECT_TIMEOUT_S = 5.0
STATEMENT_TIMEOUT_S = 30.0

# Stable constraint names so Alembic migrations are the same on both engines.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always an aware UTC `datetime` in Python, on both engines.

    PostgreSQL keeps `timestamptz` and answers in the session's zone; SQLite keeps no zone at all
    and answers naive values. Every time is written in UTC, so a naive value read back is UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("A naive datetime cannot be stored: pass an aware UTC time.")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_id() -> str:
    """A random, URL-safe id (128 bits): ids that appear in URLs are never sequential."""
    return secrets.token_urlsafe(16)


def make_engine(
    url: str,
    *,
    connect_timeout: float | None = CONNECT_TIMEOUT_S,
    statement_timeout: float | None = STATEMENT_TIMEOUT_S,
    **kwargs: Any,
) -> Engine:
    """An engine for `url` whose connects and statements give up after their timeouts (None:
    wait for ever). `connect_args` given are kept; the timeouts are added to them."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        _SqliteTimeouts(connect_timeout, statement_timeout).install(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        args = dict(kwargs.get("connect_args") or {})
        # libpq takes `options` from the connect arguments over the URL's: the URL's (a schema on
        # the search path, say) must go where the statement timeout is added, or it is lost.
        in_url = parsed.query.get("options")
        if in_url and "options" not in args:
            args["options"] = in_url if isinstance(in_url, str) else " ".join(in_url)
        kwargs["connect_args"] = _postgres_timeouts(args, connect_timeout, statement_timeout)
        # Waiting for a pooled connection is bounded too (all of them busy or hung).
        kwargs.setdefault("pool_timeout", max(connect_timeout or 30.0, 1.0))
    # A ping per checkout is a round trip per transaction: worth it only where the network between
    # us and the server can drop idle connections (a firewall, a proxy), not over loopback or a
    # unix socket.
    kwargs.setdefault("pool_pre_ping", not _local(parsed.host))
    return create_engine(url, **kwargs)


def _local(host: str | None) -> bool:
    return host is None or host.startswith("/") or host in ("localhost", "127.0.0.1", "::1")


def _postgres_timeouts(
    args: dict[str, Any], connect_timeout: float | None, statement_timeout: float | None
) -> dict[str, Any]:
    if connect_timeout is not None:
        # libpq counts whole seconds, and reads anything under 2 as 2.
        args.setdefault("connect_timeout", max(2, math.ceil(connect_timeout)))
    if statement_timeout is not None:
        options = str(args.get("options", ""))
        if "statement_timeout" not in options:
            ms = max(1, round(statement_timeout * 1000))
            args["options"] = f"{options} -c statement_timeout={ms}".strip()
    return args


_DEADLINE = "latchkey.statement_deadline"


class _SqliteTimeouts:
    """SQLite's own pragmas, its busy timeout, and a deadline for each statement."""

    # Virtual machine instructions between two looks at the clock (~1 ms of work).
    _EVERY = 10_000

    def __init__(self, connect_timeout: float | None, statement_timeout: float | None) -> None:
        # A local file needs no connect timeout; waiting for another writer's lock is the wait.
        self.busy_ms = round(max(10.0, connect_timeout or 0.0) * 1000)
        self.statement_timeout = statement_timeout

    def install(self, engine: Engine) -> None:
        event.listen(engine, "connect", self._connected)
        if self.statement_timeout is not None:
            event.listen(engine, "before_cursor_execute", self._starting)
            # The deadline is the last statement's: a COMMIT long after it must not trip on it.
            event.listen(engine, "commit", self._idle)
            event.listen(engine, "rollback", self._idle)

    def _connected(self, dbapi_connection: Any, record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={self.busy_ms}")
        cursor.execute("PRAGMA journal_mode=WAL")
        # Under WAL, NORMAL syncs the log at checkpoints rather than at every commit: a commit stays
        # atomic and the database consistent, but the last commits before a power loss or an OS
        # crash (not a process crash) can be lost. docs/deploy.md states the trade.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        if self.statement_timeout is not None and isinstance(dbapi_connection, sqlite3.Connection):
            deadline = [math.inf]
            dbapi_connection.set_progress_handler(
                lambda: int(time.monotonic() > deadline[0]), self._EVERY
            )
            record.info[_DEADLINE] = deadline  # lives as long as the connection

    def _starting(self, conn: Any, _cursor: Any, *_args: Any) -> None:
        deadline = conn.connection.info.get(_DEADLINE)
        if deadline is not None:
            assert self.statement_timeout is not None
            deadline[0] = time.monotonic() + self.statement_timeout

    @staticmethod
    def _idle(conn: Any) -> None:
        deadline = conn.connection.info.get(_DEADLINE)
        if deadline is not None:
            deadline[0] = math.inf


def engine_for(settings: Settings, **kwargs: Any) -> Engine:
    """The configured database, with the configured timeouts."""
    return make_engine(
        settings.database_url,
        connect_timeout=settings.db_connect_timeout_s,
        statement_timeout=settings.db_statement_timeout_s,
        **kwargs,
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back whole on any error."""
    with factory() as session, session.begin():
        yield session


T = TypeVar("T")
# PostgreSQL's deadlock_detected and serialization_failure: the transaction was chosen to lose a
# conflict, and running it again is the documented remedy (PostgreSQL docs, §13.6 and §13.2.3).
_CONFLICTS = frozenset({"40P01", "40001"})


def is_conflict(error: BaseException) -> bool:
    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in _CONFLICTS


def run_transaction(
    factory: sessionmaker[Session], work: Callable[[Session], T], *, attempts: int = 4
) -> T:
    """`work` in one transaction, run again (after a short random wait) when the database
    aborted it to break a deadlock. `work` must be safe to repeat: nothing of a failed attempt
    was committed, but anything it did outside the session was done."""
    for attempt in range(1, attempts + 1):
        try:
            with transaction(factory) as session:
                return work(session)
        except DBAPIError as error:
            if attempt == attempts or not is_conflict(error):
                raise
            time.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")  # pragma: no cover
