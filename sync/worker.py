"""The sync worker: claims due accounts from the outbox, brings each in step, records the outcome.

One round (`run_due`) claims a batch (`sync/claims.py`), groups it by workspace, computes the
desired state of those accounts from the database, reconciles them concurrently through the
workspace's Okta client (whose limiter keeps to the token's share of each bucket) and writes back
last synced, state and error. A full pass (`full_pass`, also what `latchkey sync` runs) does the
same for every extended account of every workspace whose token is not refused, reading all of
Latchkey's apps in one paged listing: it repairs drift made by hand in Okta.

What each outcome does to the account and its outbox row: `sync/outcomes.py`. An account another
worker fenced off, or whose lock this worker lost mid-sync, is due again in a second, and a pass
that ran even partly unfenced requeues its accounts once all its writes are done.

With *Extended account access* off, nothing is created, updated or assigned: only removals
(*Remove from Okta*, deleted accounts) still reach Okta. Turning it on queues every account.

Faults: database work runs in threads (`asyncio.to_thread`), never on the event loop, and inside
a rate-limiter slot only to renew the mark of a create that waited past its send window
(`sync/apply.py`); a transaction the database aborted to break a deadlock runs again; a
round that fails on the database (a cut connection, a timeout) is logged and retried with
backoff, never the end of the worker. While a round runs, a heartbeat renews its claims' short
lease and checks its account locks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Protocol, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from broker.db import run_transaction
from broker.models import TokenStatus, Workspace, utcnow
from broker.outbox import request_sync
from broker.vault import Vault
from sync import claims
from sync.actual import Apps, Listing
from sync.apply import ApplySettings
from sync.broker_access import BrokerAccessKeeper, BrokerAccessSettings, chiclet_holders
from sync.claims import Claim
from sync.clients import Clients, Credentials, MakeClient
from sync.desired import Target, load_targets
from sync.locks import AccountLocks
from sync.okta import OktaClient
from sync.okta.errors import OktaError
from sync.okta_groups import OktaGroups, ResolvedGroups
from sync.outcomes import listing_failed, write_outcomes
from sync.reconcile import Outcome, Result, reconcile
from sync.record import (
    record_create_started,
    record_created,
)
from sync.report import Tally
from sync.state import Strategy

logger = logging.getLogger(__name__)
T = TypeVar("T")
_BUSY_RETRY = timedelta(seconds=1)
# From this many accounts with no recorded app, one paged listing of the org's Bookmark apps
# (200 a page) costs fewer calls than a lookup by launch URL for each.
_LIST_FROM = 2
_FAILED_ROUND_BACKOFF_CAP = 30.0  # seconds between rounds while the database keeps failing


@dataclass(frozen=True)
class WorkerSettings:
    strategy: Strategy = Strategy.INDIVIDUAL
    batch_size: int = 500
    # A dead worker's accounts are due again after it; a live one renews it every heartbeat.
    lease: timedelta = timedelta(seconds=30)
    heartbeat: timedelta = timedelta(seconds=5)
    concurrency: int = 32  # accounts of one workspace in flight (the limiter paces the calls)
    backoff_base_s: float = 2.0
    backoff_cap_s: float = 600.0
    # How long after a create started Okta may still not show the app (its listing lags ~1 s;
    # DESIGN.md, "Okta facts"): until then, not finding it defers the account, never recreates.
    listing_grace: timedelta = timedelta(seconds=5)
    apply: ApplySettings = field(default_factory=ApplySettings)
    # Keep the broker's OIDC app assigned to everyone with a chiclet (`sync/broker_access.py`).
    broker_access: BrokerAccessSettings = field(default_factory=BrokerAccessSettings)
    # Assign the Okta group of a pushed team instead of its members, per account, wherever
    # every member of the group may launch the account (`sync/okta_groups.py`);
    # `LATCHKEY_SYNC_OKTA_GROUPS=off` turns it off.
    okta_groups: bool = True


class Progress(Protocol):
    def started(self, total: int) -> None: ...

    def advanced(self, done: int = 1) -> None: ...


@dataclass(frozen=True)
class _Prepared:
    """What a workspace's sync needs from the database, read in one transaction."""

    credentials: Credentials
    wanted: list[Target]
    targets: int
    unchecked: bool  # the token was never accepted yet: a success marks it OK
    feature_on: bool
    # Whose chiclets the broker's own OIDC app must follow: every target on a full pass.
    holder_targets: list[Target]


@dataclass
class _Mark:
    """The account's create-started mark and app id as this pass knows them (what a new mark
    must find in place)."""

    value: datetime | None
    app_id: str | None


class Worker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        vault: Vault,
        broker_url: str,
        *,
        make_client: MakeClient | None = None,
        settings: WorkerSettings | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.broker_url = broker_url
        self.clients = Clients(vault, make_client)
        self.settings = settings or WorkerSettings()
        self.clock = clock  # stamps and ages create-started marks
        self.broker_access = BrokerAccessKeeper(self.settings.broker_access)
        # Which Okta group each pushed team's name picked, for this worker's life (members are
        # still listed every round: `sync/okta_groups.py`).
        self.resolved_groups = ResolvedGroups()
        with sessions() as session:
            # Accounts being synced: by this process, and on PostgreSQL by any worker.
            self.locks = AccountLocks(session.get_bind().engine)

    async def aclose(self) -> None:
        """Close the Okta clients' connections (and free any account still locked)."""
        await asyncio.to_thread(self.locks.close)
        await self.clients.aclose()

    async def _db(self, work: Callable[[Session], T]) -> T:
        """`work` in a transaction of its own, in a thread: the event loop never waits on SQL."""
        return await asyncio.to_thread(run_transaction, self.sessions, work)

    # -- rounds -------------------------------------------------------------------------------

    async def run_due(self, *, now: datetime | None = None) -> Tally:
        """Sync the accounts that are due now; returns what was done."""
        lease, limit = self.settings.lease, self.settings.batch_size
        claimed = await self._db(
            lambda session: claims.claim_due(session, limit=limit, lease=lease, now=now)
        )
        by_workspace: dict[str, dict[str, Claim]] = defaultdict(dict)
        for claim in claimed:
            by_workspace[claim.workspace_id][claim.account_id] = claim
        tally = Tally()
        async with self._heartbeat(claimed):
            results = await asyncio.gather(
                *(self._workspace(ws, found, full=False) for ws, found in by_workspace.items())
            )
        for result in results:
            tally.add(result)
        return tally

    async def full_pass(self, *, progress: Progress | None = None) -> Tally:
        """Every extended account of every workspace whose token is not refused: repairs drift."""
        ids, total = await self._db(claims.syncable_workspaces)
        if progress is not None:
            progress.started(total)
        tally = Tally()
        lease = self.settings.lease
        for workspace_id in ids:
            claimed = await self._db(
                partial(claims.claim_workspace, workspace_id=workspace_id, lease=lease)
            )
            found = {claim.account_id: claim for claim in claimed}
            async with self._heartbeat(claimed):
                tally.add(await self._workspace(workspace_id, found, full=True, progress=progress))
        return tally

    async def run(
        self,
        *,
        poll_interval: float = 1.0,
        full_pass_interval: float | None = 3600.0,
        once: bool = False,
        stop: asyncio.Event | None = None,
    ) -> Tally:
        """Rounds until `stop` is set (or one full pass and one round with `once`).

        A round that fails (the database cut or timing out, most often) is logged and tried
        again after a backoff; with `once` its error is raised for the caller to report."""
        total = Tally()
        next_full = time.monotonic()
        failures = 0
        while True:
            try:
                if full_pass_interval is not None and time.monotonic() >= next_full:
                    total.add(await self.full_pass())
                    next_full = time.monotonic() + full_pass_interval
                done = await self.run_due()
            except Exception as error:
                if once:
                    raise
                failures += 1
                wait = min(_FAILED_ROUND_BACKOFF_CAP, poll_interval * 2 ** min(failures, 10))
                logger.warning(
                    "sync round failed (%s: %s); trying again in %.1f s",
                    type(error).__name__,
                    _first_line(error),
                    wait,
                    exc_info=not _is_database_error(error),
                )
                if await _stopped_within(stop, wait):
                    return total
                continue
            failures = 0
            total.add(done)
            if once or (stop is not None and stop.is_set()):
                return total
            if done.accounts == 0 and await _stopped_within(stop, poll_interval):
                return total

    @contextlib.asynccontextmanager
    async def _heartbeat(self, claimed: Collection[Claim]) -> AsyncIterator[None]:
        """While the block runs: renew the claims' lease, and check the account locks."""
        beating = asyncio.create_task(self._beat(list(claimed)))
        try:
            yield
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating

    async def _beat(self, claimed: list[Claim]) -> None:
        every = self.settings.heartbeat.total_seconds()
        while True:
            await asyncio.sleep(every)
            until = utcnow() + self.settings.lease
            try:
                if claimed:
                    await self._db(partial(claims.renew, claims=claimed, until=until))
                await asyncio.to_thread(self.locks.verify)
            except Exception as error:
                # The lease outlasts a few missed beats; the next one tries again.
                logger.warning("sync heartbeat failed: %s", _first_line(error))

    # -- one workspace ------------------------------------------------------------------------

    async def _workspace(
        self,
        workspace_id: str,
        claimed: dict[str, Claim],
        *,
        full: bool,
        progress: Progress | None = None,
    ) -> Tally:
        """Sync the claimed accounts of a workspace (`full`: every extended account)."""
        if full:
            # Not those under another worker's lease (alive or crashed): a re-run right after
            # a crash would look its accounts up in a listing that may not show the app it
            # created yet. Their lease ends, then the outbox brings them back.
            ids = await self._db(
                lambda session: (
                    claims.extended_ids(session, workspace_id)
                    - claims.leased_elsewhere(session, workspace_id, set(claimed))
                )
            )
        else:
            ids = set(claimed)
        # Locked before the desired state is read: what another worker recorded (a new app's id)
        # is read after it finished.
        locked = await asyncio.to_thread(self.locks.acquire, ids)
        try:
            tally = await self._locked(workspace_id, claimed, locked, full=full, progress=progress)
        finally:
            lost = await asyncio.to_thread(self.locks.release, locked)
        if lost:
            # Another worker may have synced them meanwhile, from a state this pass then changed:
            # one more pass, after every write of this one, settles who is right.
            logger.warning("sync locks of %d accounts were lost mid-sync; requeued", len(lost))
            await self._db(lambda session: request_sync(session, sorted(lost), "sync lock lost"))
        return tally

    async def _locked(
        self,
        workspace_id: str,
        claimed: dict[str, Claim],
        locked: set[str],
        *,
        full: bool,
        progress: Progress | None,
    ) -> Tally:
        tally = Tally()
        prepared = await self._db(
            lambda session: self._prepare(session, workspace_id, claimed, locked, full=full)
        )
        client = self.clients.client(prepared.credentials) if prepared else None
        if prepared is None or client is None:
            return tally
        wanted = prepared.wanted
        if progress is not None and len(wanted) < prepared.targets:
            progress.advanced(prepared.targets - len(wanted))
        if not wanted:
            return tally
        calls_before = _calls(client)
        apps = Apps(client)
        unknown = sum(1 for t in wanted if t.okta_app_id is None)
        if full or unknown >= _LIST_FROM:
            try:
                # All Bookmark apps, not only those under our launch URL: an app whose URL was
                # changed by hand is still found by its recorded id. Same calls either way.
                apps = Apps(client, Listing.of(await client.list_bookmark_apps()))
            except OktaError as error:
                outcomes = [listing_failed(t.account_id, error) for t in wanted]
                await self._record(workspace_id, outcomes, claimed, tally, unchecked=False)
                return tally
        groups = (
            OktaGroups(client, self.resolved_groups, workspace_id)
            if self.settings.okta_groups
            else None
        )
        outcomes = await self._reconcile_all(
            client, wanted, apps, tally, progress, groups=groups, full=full
        )
        if prepared.feature_on:
            holders = chiclet_holders(prepared.holder_targets)
            await self.broker_access.keep(workspace_id, client, holders, tally, full=full)
        tally.calls.update(_delta(calls_before, _calls(client)))
        await self._record(workspace_id, outcomes, claimed, tally, unchecked=prepared.unchecked)
        return tally

    def _prepare(
        self,
        session: Session,
        workspace_id: str,
        claimed: dict[str, Claim],
        locked: set[str],
        *,
        full: bool,
    ) -> _Prepared | None:
        """The workspace's credentials and the targets to sync; settles what needs no sync."""
        workspace = session.get(Workspace, workspace_id)
        credentials = self.clients.credentials(session, workspace) if workspace else None
        if workspace is None or credentials is None:
            for _, claim in sorted(claimed.items()):
                claims.settle(session, claim)
            return None
        targets = load_targets(session, workspace, self.broker_url, None if full else set(claimed))
        feature_on = workspace.extended_access_enabled
        for account_id, claim in sorted(claimed.items()):
            target = targets.get(account_id)
            # Gone, or nothing may reach Okta while the feature is off but removals.
            if target is None or not (feature_on or target.desired.remove):
                claims.settle(session, claim)
            elif account_id not in locked:
                # Being synced by another loop or worker: look again shortly.
                claims.retry_at(session, claim, utcnow() + _BUSY_RETRY, count=False)
        wanted = [
            t
            for t in targets.values()
            if (feature_on or t.desired.remove) and t.account_id in locked
        ]
        unchecked = workspace.okta_token_status is not TokenStatus.OK
        holder_targets = list(targets.values()) if full else wanted
        return _Prepared(credentials, wanted, len(targets), unchecked, feature_on, holder_targets)

    async def _reconcile_all(
        self,
        client: OktaClient,
        targets: list[Target],
        apps: Apps,
        tally: Tally,
        progress: Progress | None,
        *,
        groups: OktaGroups | None,
        full: bool,
    ) -> list[Outcome]:
        gate = asyncio.Semaphore(self.settings.concurrency)
        refused = asyncio.Event()
        grace = self.settings.listing_grace.total_seconds()

        async def one(target: Target) -> Outcome:
            async with gate:
                if refused.is_set():
                    # The token was refused: calls with it would all be refused too.
                    return Outcome(target.account_id, Result.TOKEN_REFUSED, error="paused")
                mark = _Mark(target.create_started_at, target.okta_app_id)

                async def create_started(account_id: str) -> None:
                    await self._create_started(account_id, mark)

                outcome = await reconcile(
                    client,
                    target,
                    tally,
                    on_created=self._created,
                    on_create_started=create_started,
                    unlisted_for=self._unlisted_for(target),
                    strategy=self.settings.strategy,
                    apps=apps,
                    apply_settings=self.settings.apply,
                    guard=lambda: self.locks.check(target.account_id),
                    seen_through=partial(
                        target.recent.seen_through,
                        wanted=target.desired.user_ids,
                        now=self.clock().timestamp(),
                        grace=grace,
                    ),
                    okta_groups=groups,
                    full=full,
                )
                if outcome.result is Result.TOKEN_REFUSED:
                    refused.set()
                if progress is not None:
                    progress.advanced()
                return outcome

        return list(await asyncio.gather(*(one(t) for t in targets)))

    async def _create_started(self, account_id: str, mark: _Mark) -> None:
        """Commit the mark over the one this pass knows (`CreateFenced` if it changed)."""
        at, seen, app_id = self.clock(), mark.value, mark.app_id
        await self._db(
            lambda session: record_create_started(
                session, account_id, at, seen=seen, seen_app_id=app_id
            )
        )
        mark.value = at

    async def _created(self, account_id: str, app_id: str, label: str) -> None:
        await self._db(lambda session: record_created(session, account_id, app_id, label))

    def _unlisted_for(self, target: Target) -> float:
        """Seconds during which the account's app may exist in Okta and still not show."""
        started = target.create_started_at
        if started is None:
            return 0.0
        if started.tzinfo is None:  # SQLite keeps no offset: every stamp is UTC
            started = started.replace(tzinfo=UTC)
        # The create left at most the send window after its mark; the listing lags from then.
        window = timedelta(seconds=self.settings.apply.create_send_window)
        left = started + window + self.settings.listing_grace - self.clock()
        return max(0.0, left.total_seconds())

    # -- recording ----------------------------------------------------------------------------

    async def _record(
        self,
        workspace_id: str,
        outcomes: Iterable[Outcome],
        claimed: dict[str, Claim],
        tally: Tally,
        *,
        unchecked: bool,
    ) -> None:
        ordered = sorted(outcomes, key=lambda o: o.account_id)  # rows locked in one order
        recorded = await self._db(
            partial(
                write_outcomes,
                workspace_id=workspace_id,
                outcomes=ordered,
                claimed=claimed,
                unchecked=unchecked,
                stamp=self.clock().timestamp(),
                settings=self.settings,
            )
        )
        tally.add(recorded)


def _calls(client: OktaClient) -> dict[str, int]:
    return {name: stats.calls for name, stats in client.limiter.stats().items()}


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: n - before.get(name, 0) for name, n in after.items() if n > before.get(name, 0)}


def _is_database_error(error: BaseException) -> bool:
    return isinstance(error, SQLAlchemyError)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


async def _stopped_within(stop: asyncio.Event | None, seconds: float) -> bool:
    """Wait `seconds`, or less if `stop` is set meanwhile; whether it was."""
    if stop is None:
        await asyncio.sleep(seconds)
        return False
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    return stop.is_set()
