"""Writing what a pass did back: each account's outcome, its outbox row, the workspace's token.

What each outcome does to the outbox row, which is deleted only if no newer change arrived:

    synced / removed      row deleted; last synced, state *synced* (or the extension forgotten)
    temporary (429, 5xx)  row due again after Okta's reset, or exponential backoff
    deferred              its app's create started within the listing grace and Okta shows no
                          app yet, or another worker took the account over: row due again soon
    failed (400, 403)     row deleted; state *failed* with Okta's reason (the next change or
                          full pass tries again)
    token refused (401)   the workspace's token is marked invalid (*Update*), its rows wait

Whatever the result, the assignments the pass wrote are kept for the next passes
(`sync/recent.py`). Rows are touched in account order (`sync/claims.py`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from broker.models import utcnow
from broker.outbox import request_sync
from broker.services import workspaces
from sync import claims
from sync.claims import Claim
from sync.okta.errors import InvalidToken, OktaError, RateLimited
from sync.reconcile import Outcome, Result
from sync.record import (
    record_problem,
    record_removed,
    record_synced,
    record_writes,
)
from sync.report import Tally

if TYPE_CHECKING:
    from sync.worker import WorkerSettings


def write_outcomes(
    session: Session,
    *,
    workspace_id: str,
    outcomes: list[Outcome],
    claimed: dict[str, Claim],
    unchecked: bool,
    stamp: float,
    settings: WorkerSettings,
) -> Tally:
    """Record the outcomes (in account order); what they count, as a fresh tally: a transaction
    the database aborted runs this again. `stamp`: now on the worker's clock (epoch seconds);
    `unchecked`: the token was never accepted yet, so a success marks it *ok*."""
    tally = Tally()
    now = utcnow()
    grace = settings.listing_grace.total_seconds()
    requeue: list[tuple[str, datetime, bool]] = []  # account, due, one more attempt
    refused: str | None = None
    accepted = False
    for outcome in outcomes:
        tally.accounts += 1
        record_writes(
            session,
            outcome.account_id,
            outcome.assigned,
            outcome.unassigned,
            now=stamp,
            grace=grace,
        )
        claim = claimed.get(outcome.account_id)
        result = outcome.result
        if result is Result.SYNCED:
            record_synced(
                session, outcome.account_id, outcome.app_id, outcome.label, outcome.assignment
            )
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
            tally.errors.append(f"{outcome.account_id}: {outcome.error} (retrying)")
            attempts = claim.attempts if claim else 0
            due = now + wait_for(outcome, attempts, settings)
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
            claims.settle(session, claim)
    if refused is not None:
        workspaces.record_token_check(session, workspace_id, ok=False, error=refused)
        tally.paused_workspaces += 1
    elif accepted and unchecked:
        workspaces.record_token_check(session, workspace_id, ok=True)
    for account_id, due_at, attempt in requeue:
        claim = claimed.get(account_id)
        if claim is not None:
            claims.retry_at(session, claim, due_at, count=attempt and refused is None)
        else:
            request_sync(session, [account_id], "sync retry", due_at=due_at)
    return tally


def wait_for(outcome: Outcome, attempts: int, settings: WorkerSettings) -> timedelta:
    """How long a temporary failure waits: Okta's reset when it named one, else backoff."""
    if outcome.retry_after is not None:
        return timedelta(seconds=min(settings.backoff_cap_s, outcome.retry_after))
    return claims.backoff(attempts, base=settings.backoff_base_s, cap=settings.backoff_cap_s)


def listing_failed(account_id: str, error: OktaError) -> Outcome:
    """What every account of a pass gets when listing the org's apps failed."""
    if isinstance(error, InvalidToken):
        return Outcome(account_id, Result.TOKEN_REFUSED, error=str(error))
    retry = error.retry_after if isinstance(error, RateLimited) else None
    return Outcome(account_id, Result.TEMPORARY, error=f"Okta answered {error}", retry_after=retry)
