"""One extended account brought in step: read the actual state, diff, apply.

Errors come back as an `Outcome`, never raised: the caller records them on the account (and on
the workspace, for a refused token) and decides when to try again.

Not finding the app is not proof that it was never made when its create started moments ago
(`unlisted_for`, from the account's create-started mark): Okta's listing, and its reads by id,
lag behind a create. Such an account is deferred until that lag is surely over, never given a
second app nor forgotten as removed. Nor is an account whose create another worker fenced off, or
whose lock this worker lost mid-sync: it is looked at again shortly, by whoever holds it then.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from sync.actual import Apps, read_actual
from sync.apply import Applier, ApplySettings, OnCreated, OnCreateStarted
from sync.desired import Target
from sync.locks import LockLost
from sync.okta import OktaClient
from sync.okta.errors import InvalidToken, NotFound, OktaError, PermanentError, RateLimited
from sync.okta_groups import Choice, OktaGroups, believed, choice_for, settled
from sync.plan import diff
from sync.record import CreateFenced
from sync.report import Tally
from sync.state import Strategy

logger = logging.getLogger(__name__)

# Seconds before an account another worker took over is looked at again.
_TAKEN_OVER_RETRY = 1.0


class Result(enum.Enum):
    SYNCED = "synced"
    REMOVED = "removed"
    TEMPORARY = "temporary"  # retry later
    DEFERRED = "deferred"  # its new app may not show in Okta yet: look again after the lag
    FAILED = "failed"  # 400/403/404...: recorded on the account
    TOKEN_REFUSED = "token_refused"  # noqa: S105 - 401: the workspace pauses


@dataclass(frozen=True)
class Outcome:
    account_id: str
    result: Result
    app_id: str | None = None
    label: str = ""
    error: str | None = None
    retry_after: float | None = None  # seconds Okta asked us to wait (a 429's reset)
    # Users assigned and unassigned on the way, whatever the result (`sync/recent.py`).
    assigned: frozenset[str] = frozenset()
    unassigned: frozenset[str] = frozenset()
    # How the app is assigned now (`sync.okta_groups.Assignment.to_json`), once synced.
    assignment: dict[str, Any] | None = None


async def reconcile(
    client: OktaClient,
    target: Target,
    tally: Tally,
    *,
    on_created: OnCreated,
    on_create_started: OnCreateStarted | None = None,
    unlisted_for: float = 0.0,
    strategy: Strategy = Strategy.INDIVIDUAL,
    apps: Apps | None = None,
    apply_settings: ApplySettings | None = None,
    guard: Callable[[], None] | None = None,
    seen_through: Callable[[frozenset[str]], frozenset[str]] | None = None,
    okta_groups: OktaGroups | None = None,
    full: bool = False,
) -> Outcome:
    """`unlisted_for`: seconds during which an app whose create started may still not show;
    `seen_through`: the listed users corrected by what sync assigned lately; `okta_groups`: the
    round's Okta groups of pushed teams, to assign where fit (None: never); `full`: a full pass,
    which reads every app whatever was recorded."""
    desired = target.desired
    choice = Choice()
    applier = Applier(
        client,
        tally,
        on_created=on_created,
        on_create_started=on_create_started,
        settings=apply_settings,
        guard=guard,
    )
    recorded = target.recorded
    try:
        if okta_groups is not None:
            choice = await choice_for(okta_groups, desired, target.teams, recorded)
            desired = choice.applied_to(desired)
        if not full and target.synced and target.okta_app_id and recorded and recorded.groups:
            # Okta groups assigned at the last sync: plan against what it left. Nothing to do
            # (a team membership change, its group still fit): no call for the app at all.
            # Drift made by hand in Okta is the full pass's to repair.
            left = believed(target.okta_app_id, desired.url, recorded)
            if recorded.strategy is strategy and not diff(desired, left, strategy):
                kept = settled(desired, left, [], choice, strategy, recorded.latchkey_group)
                return Outcome(
                    target.account_id,
                    Result.SYNCED,
                    target.okta_app_id,
                    desired.label,
                    assignment=kept.to_json(),
                )
        actual, app = await read_actual(
            client,
            desired,
            target.okta_app_id,
            strategy=strategy,
            apps=apps,
            seen_through=seen_through,
            groups_expected=bool(recorded and recorded.groups),
        )
        if actual is None and unlisted_for > 0:
            return Outcome(target.account_id, Result.DEFERRED, retry_after=unlisted_for)
        ops = diff(desired, actual, strategy)
        app_id = await applier.apply(ops, app)
        ours = actual.group.id if actual is not None and actual.group is not None else None
        now = settled(desired, actual, ops, choice, strategy, ours or applier.created_group)
    except OktaError as error:
        outcome = _failure(target.account_id, error)
    except (CreateFenced, LockLost) as error:
        logger.warning("account %s: %s; looking again shortly", target.account_id, error)
        outcome = Outcome(target.account_id, Result.DEFERRED, retry_after=_TAKEN_OVER_RETRY)
    except SQLAlchemyError as error:
        # Recording a create (or its mark) failed: the database, not the account, is at fault.
        logger.warning("account %s: the database failed: %s", target.account_id, error)
        outcome = Outcome(target.account_id, Result.TEMPORARY, error="the database failed")
    except Exception as error:
        # A bug must not stop the other accounts: it is logged, and the account shows it.
        logger.exception("syncing account %s failed", target.account_id)
        outcome = Outcome(target.account_id, Result.FAILED, error=f"internal error: {error!r}")
    else:
        result = Result.REMOVED if desired.remove else Result.SYNCED
        outcome = Outcome(
            target.account_id, result, app_id, desired.label, assignment=now.to_json()
        )
    return dataclasses.replace(
        outcome, assigned=frozenset(applier.assigned), unassigned=frozenset(applier.unassigned)
    )


def _failure(account_id: str, error: OktaError) -> Outcome:
    if isinstance(error, InvalidToken):
        return Outcome(account_id, Result.TOKEN_REFUSED, error=str(error))
    if isinstance(error, PermanentError) and not isinstance(error, NotFound):
        # A 404 means something changed under us (deleted by hand): the next read will see it.
        return Outcome(account_id, Result.FAILED, error=_reason(error))
    retry_after = error.retry_after if isinstance(error, RateLimited) else None
    return Outcome(account_id, Result.TEMPORARY, error=_reason(error), retry_after=retry_after)


def _reason(error: OktaError) -> str:
    """What the account page shows: Okta's own summary, with its code."""
    return f"Okta answered {error}"


Reconcile = Callable[[Target], Awaitable[Outcome]]
