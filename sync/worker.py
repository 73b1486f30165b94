"""The sync worker: claims due accounts from the outbox, brings each in step, records the outcome.

One round (`run_due`) claims a batch (`sync/claims.py`), groups it by workspace, computes the
desired state of those accounts from the database, reconciles them concurrently through the
workspace's Okta client (whose limiter keeps to the token's share of each bucket) and writes back
last synced, state and error. A full pass (`full_pass`, also what `latchkey sync` runs) does the
same for every extended account of every workspace whose token is not refused, reading all of
Latchkey's apps in one paged listing: it repairs drift made by hand in Okta.

What each outcome does to the outbox row, which is deleted only if no newer change arrived:

    synced / removed      row deleted; last synced, state *synced* (or the extension forgotten)
    temporary (429, 5xx)  row due again after Okta's reset, or exponential backoff
    deferred              its app's create started within the listing grace and Okta shows no
                          app yet: row due again once the grace is over (no second app)
    failed (400, 403)     row deleted; state *failed* with Okta's reason (the next change or
                          full pass tries again)
    token refused (401)   the workspace's token is marked invalid (*Update*), its rows wait

With *Extended account access* off, nothing is created, updated or assigned: only removals
(*Remove from Okta*, deleted accounts) still reach Okta. Turning it on queues every account.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from broker.db import transaction
from broker.models import OktaExtension, TokenStatus, Workspace, utcnow
from broker.outbox import request_sync
from broker.services import workspaces
from broker.vault import Vault
from sync import claims as outbox
from sync.actual import Apps, Listing
from sync.apply import ApplySettings
from sync.broker_access import BrokerAccessKeeper, BrokerAccessSettings, chiclet_holders
from sync.claims import Claim
from sync.clients import Clients, MakeClient
from sync.desired import Target, load_targets
from sync.locks import AccountLocks
from sync.okta import OktaClient
from sync.okta.errors import InvalidToken, OktaError, RateLimited
from sync.reconcile import Outcome, Result, reconcile
from sync.record import (
    record_create_started,
    record_created,
    record_problem,
    record_removed,
    record_synced,
)
from sync.report import Tally
from sync.state import Strategy

logger = logging.getLogger(__name__)
_BUSY_RETRY = timedelta(seconds=1)
# From this many accounts with no recorded app, one paged listing of the org's Bookmark apps
# (200 a page) costs fewer calls than a lookup by launch URL for each.
_LIST_FROM = 2


@dataclass(frozen=True)
class WorkerSettings:
    strategy: Strategy = Strategy.INDIVIDUAL
    batch_size: int = 500
    lease: timedelta = timedelta(minutes=5)  # a crashed worker's accounts are due again after it
    concurrency: int = 32  # accounts of one workspace in flight (the limiter paces the calls)
    backoff_base_s: float = 2.0
    backoff_cap_s: float = 600.0
    # How long after a create started Okta may still not show the app (its listing lags ~1 s;
    # DESIGN.md, "Okta facts"): until then, not finding it defers the account, never recreates.
    listing_grace: timedelta = timedelta(seconds=5)
    apply: ApplySettings = field(default_factory=ApplySettings)
    # Keep the broker's OIDC app assigned to everyone with a chiclet (`sync/broker_access.py`).
    broker_access: BrokerAccessSettings = field(default_factory=BrokerAccessSettings)


class Progress(Protocol):
    def started(self, total: int) -> None: ...

    def advanced(self, done: int = 1) -> None: ...


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
        with sessions() as session:
            # Accounts being synced: by this process, and on PostgreSQL by any worker.
            self.locks = AccountLocks(session.get_bind().engine)

    async def aclose(self) -> None:
        """Close the Okta clients' connections (and free any account still locked)."""
        self.locks.close()
        await self.clients.aclose()

    # -- rounds -------------------------------------------------------------------------------

    async def run_due(self, *, now: datetime | None = None) -> Tally:
        """Sync the accounts that are due now; returns what was done."""
        with transaction(self.sessions) as session:
            claimed = outbox.claim_due(
                session, limit=self.settings.batch_size, lease=self.settings.lease, now=now
            )
        by_workspace: dict[str, dict[str, Claim]] = defaultdict(dict)
        for claim in claimed:
            by_workspace[claim.workspace_id][claim.account_id] = claim
        tally = Tally()
        results = await asyncio.gather(
            *(self._workspace(ws, found, full=False) for ws, found in by_workspace.items())
        )
        for result in results:
            tally.add(result)
        return tally

    async def full_pass(self, *, progress: Progress | None = None) -> Tally:
        """Every extended account of every workspace whose token is not refused: repairs drift."""
        with transaction(self.sessions) as session:
            ids = list(
                session.scalars(
                    select(Workspace.id).where(
                        Workspace.okta_domain.is_not(None),
                        Workspace.okta_token_secret_id.is_not(None),
                        Workspace.okta_token_status != TokenStatus.INVALID,
                    )
                )
            )
            if progress is not None:
                progress.started(
                    session.scalar(
                        select(func.count())
                        .select_from(OktaExtension)
                        .where(OktaExtension.workspace_id.in_(ids))
                    )
                    or 0
                )
        tally = Tally()
        for workspace_id in ids:
            with transaction(self.sessions) as session:
                claimed = outbox.claim_due(
                    session, limit=1_000_000, lease=self.settings.lease, workspace_id=workspace_id
                )
            found = {claim.account_id: claim for claim in claimed}
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
        """Rounds until `stop` is set (or one full pass and one round with `once`)."""
        total = Tally()
        next_full = time.monotonic()
        while True:
            if full_pass_interval is not None and time.monotonic() >= next_full:
                total.add(await self.full_pass())
                next_full = time.monotonic() + full_pass_interval
            done = await self.run_due()
            total.add(done)
            if once or (stop is not None and stop.is_set()):
                return total
            if done.accounts == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(_wait(stop), timeout=poll_interval)

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
        with transaction(self.sessions) as session:
            if full:
                # Not those under another worker's lease (alive or crashed): a re-run right after
                # a crash would look its accounts up in a listing that may not show the app it
                # created yet. Their lease ends, then the outbox brings them back.
                ids = outbox.extended_ids(session, workspace_id) - outbox.leased_elsewhere(
                    session, workspace_id, set(claimed)
                )
            else:
                ids = set(claimed)
        # Locked before the desired state is read: what another worker recorded (a new app's id)
        # is read after it finished.
        locked = self.locks.acquire(ids)
        try:
            return await self._locked(workspace_id, claimed, locked, full=full, progress=progress)
        finally:
            self.locks.release(locked)

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
        with transaction(self.sessions) as session:
            workspace = session.get(Workspace, workspace_id)
            client = self.clients.for_workspace(session, workspace) if workspace else None
            if workspace is None or client is None:
                for claim in claimed.values():
                    outbox.settle(session, claim)
                return tally
            targets = load_targets(
                session, workspace, self.broker_url, None if full else set(claimed)
            )
            feature_on = workspace.extended_access_enabled
            unchecked = workspace.okta_token_status is not TokenStatus.OK
            for account_id, claim in claimed.items():
                target = targets.get(account_id)
                # Gone, or nothing may reach Okta while the feature is off but removals.
                if target is None or not (feature_on or target.desired.remove):
                    outbox.settle(session, claim)
                elif account_id not in locked:
                    # Being synced by another loop or worker: look again shortly.
                    outbox.retry_at(session, claim, utcnow() + _BUSY_RETRY, count=False)
            wanted = [
                t
                for t in targets.values()
                if (feature_on or t.desired.remove) and t.account_id in locked
            ]
        if progress is not None and len(wanted) < len(targets):
            progress.advanced(len(targets) - len(wanted))
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
                outcomes = [_listing_failed(t.account_id, error) for t in wanted]
                self._record(workspace_id, outcomes, claimed, tally, unchecked=False)
                return tally
        outcomes = await self._reconcile_all(client, wanted, apps, tally, progress)
        if feature_on:
            holders = chiclet_holders(targets.values() if full else wanted)
            await self.broker_access.keep(workspace_id, client, holders, tally, full=full)
        tally.calls.update(_delta(calls_before, _calls(client)))
        self._record(workspace_id, outcomes, claimed, tally, unchecked=unchecked)
        return tally

    async def _reconcile_all(
        self,
        client: OktaClient,
        targets: list[Target],
        apps: Apps,
        tally: Tally,
        progress: Progress | None,
    ) -> list[Outcome]:
        gate = asyncio.Semaphore(self.settings.concurrency)
        refused = asyncio.Event()

        async def one(target: Target) -> Outcome:
            async with gate:
                if refused.is_set():
                    # The token was refused: calls with it would all be refused too.
                    return Outcome(target.account_id, Result.TOKEN_REFUSED, error="paused")
                outcome = await reconcile(
                    client,
                    target,
                    tally,
                    on_created=self._created,
                    on_create_started=self._create_started,
                    unlisted_for=self._unlisted_for(target),
                    strategy=self.settings.strategy,
                    apps=apps,
                    apply_settings=self.settings.apply,
                )
                if outcome.result is Result.TOKEN_REFUSED:
                    refused.set()
                if progress is not None:
                    progress.advanced()
                return outcome

        return list(await asyncio.gather(*(one(t) for t in targets)))

    async def _create_started(self, account_id: str) -> None:
        with transaction(self.sessions) as session:
            record_create_started(session, account_id, self.clock())

    async def _created(self, account_id: str, app_id: str, label: str) -> None:
        with transaction(self.sessions) as session:
            record_created(session, account_id, app_id, label)

    def _unlisted_for(self, target: Target) -> float:
        """Seconds during which the account's app may exist in Okta and still not show."""
        started = target.create_started_at
        if started is None:
            return 0.0
        if started.tzinfo is None:  # SQLite keeps no offset: every stamp is UTC
            started = started.replace(tzinfo=UTC)
        left = started + self.settings.listing_grace - self.clock()
        return max(0.0, left.total_seconds())

    # -- recording ----------------------------------------------------------------------------

    def _record(
        self,
        workspace_id: str,
        outcomes: Iterable[Outcome],
        claimed: dict[str, Claim],
        tally: Tally,
        *,
        unchecked: bool,
    ) -> None:
        now = utcnow()
        with transaction(self.sessions) as session:
            requeue: list[tuple[str, datetime, bool]] = []  # account, due, one more attempt
            refused: str | None = None
            accepted = False
            for outcome in outcomes:
                tally.accounts += 1
                claim = claimed.get(outcome.account_id)
                result = outcome.result
                if result is Result.SYNCED:
                    record_synced(session, outcome.account_id, outcome.app_id, outcome.label)
                    tally.synced += 1
                    accepted = True
                elif result is Result.REMOVED:
                    record_removed(session, outcome.account_id)
                    tally.removed += 1
                    accepted = True
                elif result is Result.FAILED:
                    record_problem(session, outcome.account_id, outcome.error or "", failed=True)
                    tally.failed += 1
                    tally.errors.append(f"{outcome.account_id}: {outcome.error}")
                elif result is Result.TEMPORARY:
                    record_problem(session, outcome.account_id, outcome.error or "", failed=False)
                    tally.retrying += 1
                    attempts = claim.attempts if claim else 0
                    due = now + self._wait_for(outcome, attempts)
                    requeue.append((outcome.account_id, due, True))
                    continue
                elif result is Result.DEFERRED:
                    # Not an error: Okta has not caught up with a create yet.
                    tally.deferred += 1
                    due = now + timedelta(seconds=outcome.retry_after or 0.0)
                    requeue.append((outcome.account_id, due, False))
                    continue
                else:
                    refused = refused or outcome.error
                    requeue.append((outcome.account_id, now, False))
                    continue
                if claim is not None:
                    outbox.settle(session, claim)
            if refused is not None:
                workspaces.record_token_check(session, workspace_id, ok=False, error=refused)
                tally.paused_workspaces += 1
            elif accepted and unchecked:
                workspaces.record_token_check(session, workspace_id, ok=True)
            for account_id, due_at, attempt in requeue:
                claim = claimed.get(account_id)
                if claim is not None:
                    outbox.retry_at(session, claim, due_at, count=attempt and refused is None)
                else:
                    request_sync(session, [account_id], "sync retry", due_at=due_at)

    def _wait_for(self, outcome: Outcome, attempts: int) -> timedelta:
        if outcome.retry_after is not None:
            return timedelta(seconds=min(self.settings.backoff_cap_s, outcome.retry_after))
        return outbox.backoff(
            attempts, base=self.settings.backoff_base_s, cap=self.settings.backoff_cap_s
        )


def _listing_failed(account_id: str, error: OktaError) -> Outcome:
    if isinstance(error, InvalidToken):
        return Outcome(account_id, Result.TOKEN_REFUSED, error=str(error))
    retry = error.retry_after if isinstance(error, RateLimited) else None
    return Outcome(account_id, Result.TEMPORARY, error=f"Okta answered {error}", retry_after=retry)


def _calls(client: OktaClient) -> dict[str, int]:
    return {name: stats.calls for name, stats in client.limiter.stats().items()}


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: n - before.get(name, 0) for name, n in after.items() if n > before.get(name, 0)}


async def _wait(stop: asyncio.Event | None) -> None:
    if stop is None:
        await asyncio.Event().wait()
    else:
        await stop.wait()
