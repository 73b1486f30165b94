"""Asking for password rotations, in the caller's transaction (like the sync outbox).

One pending job per account: a second request while one waits only makes it due now, since one
new password covers every reason to change it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker import audit
from broker.models import utcnow
from broker.rotation.models import PasswordRotation, RotationStatus


def request_rotation(
    session: Session,
    workspace_id: str,
    account_ids: Iterable[str],
    reason: str,
    *,
    actor_id: str | None = None,
) -> list[PasswordRotation]:
    """Queue a rotation of each account's password; returns the pending jobs."""
    ids = sorted(set(account_ids))
    if not ids:
        return []
    existing = {
        job.account_id: job
        for job in session.scalars(
            select(PasswordRotation).where(
                PasswordRotation.account_id.in_(ids),
                PasswordRotation.status == RotationStatus.PENDING,
            )
        )
    }
    now = utcnow()
    jobs: list[PasswordRotation] = []
    for account_id in ids:
        job = existing.get(account_id)
        if job is None:
            job = PasswordRotation(
                workspace_id=workspace_id, account_id=account_id, reason=reason[:200], due_at=now
            )
            session.add(job)
        else:
            job.due_at = now
        jobs.append(job)
    session.flush()
    for job in jobs:
        audit.record(
            session,
            workspace_id,
            "password.rotation_requested",
            actor_id=actor_id,
            target_type="account",
            target_id=job.account_id,
            reason=reason[:200],
        )
    return jobs


def pending_rotations(session: Session, account_id: str) -> list[PasswordRotation]:
    return list(
        session.scalars(
            select(PasswordRotation).where(
                PasswordRotation.account_id == account_id,
                PasswordRotation.status == RotationStatus.PENDING,
            )
        )
    )
