"""Which accounts this worker may sync now: never one that another loop or worker is syncing.

The outbox claim alone does not exclude that: a change committed while an account syncs makes its
row due again at once, and another worker may claim it and sync the same account concurrently
(two creates of one app race past each other's lookup by launch URL). So a worker syncs an
account only while it holds the account's lock, taken before the desired state is read and
released after the outcome is recorded:

- in this process, a set of the accounts in flight (a full pass and a round never race on one);
- on PostgreSQL, also a session-level advisory lock per account (`pg_try_advisory_lock`), held on
  one connection of the worker. It is never waited for: an account locked elsewhere is left for a
  later round. Locks die with the connection, so a worker that crashes frees its accounts at once
  (a live one's are never taken over, however long its sync lasts).

SQLite has one writer and no advisory locks: run one worker process per SQLite database.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection

from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT
from sqlalchemy.exc import DBAPIError

logger = logging.getLogger(__name__)

_NAMESPACE = b"latchkey.sync.account:"

_TRY_LOCK = text("SELECT k FROM unnest(:keys) AS k WHERE pg_try_advisory_lock(k)").bindparams(
    bindparam("keys", type_=ARRAY(BIGINT))
)
_UNLOCK = text("SELECT pg_advisory_unlock(k) FROM unnest(:keys) AS k").bindparams(
    bindparam("keys", type_=ARRAY(BIGINT))
)


def lock_key(account_id: str) -> int:
    """A signed 64-bit advisory lock key for the account (a collision only delays a sync)."""
    digest = hashlib.sha256(_NAMESPACE + account_id.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AccountLocks:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine if engine.dialect.name == "postgresql" else None
        self._held: set[str] = set()
        self._connection: Connection | None = None

    @property
    def held(self) -> frozenset[str]:
        return frozenset(self._held)

    def acquire(self, account_ids: Collection[str]) -> set[str]:
        """Lock what can be locked now, without waiting; returns the accounts locked."""
        free = {a for a in account_ids if a not in self._held}
        if free and self._engine is not None:
            keys = {lock_key(a): a for a in free}
            locked = self._session().execute(_TRY_LOCK, {"keys": list(keys)}).scalars()
            free = {keys[k] for k in locked}
        self._held |= free
        if not self._held:
            self._check_in()
        return free

    def release(self, account_ids: Collection[str]) -> None:
        mine = {a for a in account_ids if a in self._held}
        self._held -= mine
        if mine and self._connection is not None:
            try:
                self._connection.execute(_UNLOCK, {"keys": [lock_key(a) for a in mine]})
            except DBAPIError:
                # The connection is gone, and every lock it held with it: start afresh.
                logger.warning("lost the sync lock connection; its locks are gone with it")
                self._held.clear()
                self._connection.invalidate()
                self._connection = None
        if not self._held:
            self._check_in()

    def close(self) -> None:
        """Drop every lock (the worker stops)."""
        self.release(set(self._held))

    def _session(self) -> Connection:
        if self._connection is None:
            assert self._engine is not None
            # Autocommit: the locks belong to the session, and no transaction stays open.
            self._connection = self._engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            )
        return self._connection

    def _check_in(self) -> None:
        """Back to the pool, holding no lock (a rollback would not free a session's locks)."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.close()
