"""Writing what sync did back to the broker's database: the account page's *last synced* and state.

Each function runs in the caller's transaction. A removal re-checks that it is still wanted
before dropping the extension: the account may have been extended again while its app was being
deleted (the outbox then holds a newer change, and the next round creates a new app).

The create-started mark is committed before each create of an app and cleared once a pass ends
with the account synced. A pass cut short after the create (a crash, before or after the id was
recorded, or an error) leaves it: the next sync may be told by Okta that the app does not exist
(its listing and its reads by id lag behind a create), and the mark's age says whether that can
still be the lag.

The mark is also the fence between two creates: it is set only over the mark and the app id this
pass read (a compare-and-set on both: the mark alone is cleared again once a pass ends), so of
two workers that both found no app, because the lock that keeps them apart died under one of
them, only the first one's create leaves (`CreateFenced` for the other).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from broker.models import Account, OktaExtension, SyncState, utcnow
from sync.recent import RecentWrites

_ERROR_MAX = 1000


class CreateFenced(Exception):
    """Another worker started creating this account's app since this pass read its mark."""

    def __init__(self, account_id: str) -> None:
        super().__init__(f"another worker is creating the app of account {account_id}")
        self.account_id = account_id


def record_create_started(
    session: Session,
    account_id: str,
    at: datetime,
    *,
    seen: datetime | None,
    seen_app_id: str | None,
) -> None:
    """Right before the create leaves: from now on Okta may hold an app it does not show.

    `seen` and `seen_app_id` are the mark and the app id as this pass knows them (read with the
    account, or the mark last set by this pass); `CreateFenced` when either changed meanwhile:
    someone else's create is under way, or done.
    """
    mark, app_id = OktaExtension.create_started_at, OktaExtension.okta_app_id
    result = session.execute(
        update(OktaExtension)
        .where(
            OktaExtension.account_id == account_id,
            mark.is_(None) if seen is None else mark == seen,
            app_id.is_(None) if seen_app_id is None else app_id == seen_app_id,
        )
        .values(create_started_at=at)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        raise CreateFenced(account_id)


def record_created(session: Session, account_id: str, app_id: str, label: str) -> None:
    """Right after the create, before anything else: the id is never lost to a crash.

    The mark stays until the pass ends: should it stop here, a worker reading the app by this id
    may still be answered 404.
    """
    extension = session.get(OktaExtension, account_id)
    if extension is not None:
        extension.okta_app_id = app_id
        extension.label = label


def record_synced(
    session: Session,
    account_id: str,
    app_id: str | None,
    label: str,
    assignment: dict[str, Any] | None = None,
) -> None:
    """`assignment`: how the app is assigned now (`sync.okta_groups.Assignment`), which the
    account page shows and the next round plans against."""
    extension = session.get(OktaExtension, account_id)
    if extension is None:
        return
    extension.okta_assignment = assignment
    extension.create_started_at = None  # the app, if new, answered this pass's calls by its id
    extension.okta_app_id = app_id
    extension.label = label
    extension.last_synced_at = utcnow()
    extension.sync_state = SyncState.SYNCED
    extension.last_error = None


def record_removed(session: Session, account_id: str) -> bool:
    """The app is gone: forget the extension, and purge the account if it was a tombstone."""
    extension = session.get(OktaExtension, account_id)
    account = session.get(Account, account_id)
    if extension is None or account is None:
        return False
    if account.deleted_at is not None:
        session.delete(account)  # cascades to the extension
    elif extension.removal_requested_at is not None:
        session.delete(extension)
    else:
        return False  # extended again meanwhile
    return True


def record_problem(session: Session, account_id: str, error: str, *, failed: bool) -> None:
    """A permanent error marks the account *failed*; a temporary one keeps it pending."""
    extension = session.get(OktaExtension, account_id)
    if extension is None:
        return
    extension.last_error = error[:_ERROR_MAX]
    if failed:
        extension.sync_state = SyncState.FAILED
    elif extension.sync_state is not SyncState.REMOVING:
        extension.sync_state = SyncState.PENDING


def record_writes(
    session: Session,
    account_id: str,
    assigned: frozenset[str],
    unassigned: frozenset[str],
    *,
    now: float,
    grace: float,
) -> None:
    """Keep the assignments this pass wrote for the next passes, and forget the old ones."""
    extension = session.get(OktaExtension, account_id)
    if extension is None or not (assigned or unassigned or extension.recent_writes):
        return
    recent = RecentWrites.load(extension.recent_writes)
    extension.recent_writes = recent.with_writes(assigned, unassigned, now, grace)
