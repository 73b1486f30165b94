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

A lock can also die under a live worker: its connection is cut (a failover, a proxy restart,
`pg_terminate_backend`) while the sync goes on, and another worker may then take the account.
Such a lock is *lost*, and the worker learns it three ways:

- `verify` (the worker's heartbeat) asks the connection; when it is gone, every lock it held is
  marked lost, and `check` refuses the next Okta write of those accounts;
- `release` reads `pg_advisory_unlock`'s answer: false means the lock was not held any more, so
  the account's pass ran unfenced for a while and must run again (the caller requeues it);
- creating an app is fenced by the create-started mark itself (`sync/record.py`): a second
  create needs the mark the first one wrote, so two workers never both create.

SQLite has one writer and no advisory locks: run one worker process per SQLite database.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Collection

from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT
from sqlalchemy.exc import DBAPIError

logger = logging.getLogger(__name__)

_NAMESPACE = b"latchkey.sync.account:"

_TRY_LOCK = text("SELECT k FROM unnest(:keys) AS k WHERE pg_try_advisory_lock(k)").bindparams(
    bindparam("keys", type_=ARRAY(BIGINT))
)
_UNLOCK = text("SELECT k, pg_advisory_unlock(k) FROM unnest(:keys) AS k").bindparams(
    bindparam("keys", type_=ARRAY(BIGINT))
)


class LockLost(Exception):
    """This worker's lock of the account died during its sync: stop writing to Okta for it."""

    def __init__(self, account_id: str) -> None:
        super().__init__(f"the sync lock of account {account_id} was lost")
        self.account_id = account_id


def lock_key(account_id: str) -> int:
    """A signed 64-bit advisory lock key for the account (a collision only delays a sync)."""
    digest = hashlib.sha256(_NAMESPACE + account_id.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AccountLocks:
    """Thread-safe: the worker calls it from its database threads."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine if engine.dialect.name == "postgresql" else None
        self._held: set[str] = set()
        self._lost: set[str] = set()
        self._connection: Connection | None = None
        self._mutex = threading.Lock()

    @property
    def held(self) -> frozenset[str]:
        return frozenset(self._held)

    def acquire(self, account_ids: Collection[str]) -> set[str]:
        """Lock what can be locked now, without waiting; returns the accounts locked."""
        with self._mutex:
            free = {a for a in account_ids if a not in self._held}
            if free and self._engine is not None:
                keys = {lock_key(a): a for a in free}
                try:
                    locked = self._session().execute(_TRY_LOCK, {"keys": list(keys)}).scalars()
                    free = {keys[k] for k in locked}
                except DBAPIError:
                    self._connection_lost()
                    raise
            self._held |= free
            self._lost -= free
            if not self._held:
                self._check_in()
            return free

    def check(self, account_id: str) -> None:
        """Before an Okta write: `LockLost` once the account's lock is known to be gone."""
        if account_id in self._lost:
            raise LockLost(account_id)

    def verify(self) -> set[str]:
        """Ask the lock connection whether it lives; the accounts whose locks died with it."""
        with self._mutex:
            if self._connection is None or not self._held:
                return set()
            try:
                self._connection.execute(text("SELECT 1"))
            except DBAPIError:
                self._connection_lost()
            return set(self._lost)

    def release(self, account_ids: Collection[str]) -> set[str]:
        """Unlock; returns those whose lock had been lost meanwhile (their sync ran unfenced)."""
        with self._mutex:
            mine = {a for a in account_ids if a in self._held}
            lost = mine & self._lost
            self._held -= mine
            self._lost -= mine
            if mine and self._connection is not None and mine - lost:
                keys = {lock_key(a): a for a in mine - lost}
                try:
                    rows = self._connection.execute(_UNLOCK, {"keys": list(keys)}).all()
                except DBAPIError:
                    lost |= mine
                    self._connection_lost()
                else:
                    # False: not held any more (the session was replaced under the pool).
                    lost |= {keys[k] for k, unlocked in rows if not unlocked}
            if not self._held:
                self._check_in()
            return lost

    def close(self) -> None:
        """Drop every lock (the worker stops)."""
        self.release(set(self._held))

    def _connection_lost(self) -> None:
        """The connection is gone, and every lock it held with it."""
        logger.warning("lost the sync lock connection; its %d locks are gone", len(self._held))
        self._lost |= self._held
        if self._connection is not None:
            self._connection.invalidate()
            self._connection = None

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
