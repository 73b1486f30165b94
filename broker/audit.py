"""The audit trail: credential and code releases, blocked launches, share and setting changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from broker.db import Executor
from broker.models import AuditEvent, utcnow

# Built once: the launch path writes an event on every release and every refusal.
_INSERT = insert(cast(Table, AuditEvent.__table__))


def record(
    session: Session,
    workspace_id: str,
    action: str,
    *,
    actor_id: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an event to the caller's transaction: it exists exactly when the change does."""
    event = AuditEvent(
        workspace_id=workspace_id,
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details,
    )
    session.add(event)
    return event


def insert_event(
    session: Executor,
    workspace_id: str,
    action: str,
    *,
    actor_id: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    at: datetime | None = None,
    **details: Any,
) -> None:
    """`record` as one Core INSERT, for the launch path: no ORM object, no unit-of-work flush.
    Like `record`, in the caller's transaction."""
    session.execute(
        _INSERT,
        {
            "workspace_id": workspace_id,
            "at": at or utcnow(),
            "actor_id": actor_id,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "details": details,
        },
    )


@dataclass(frozen=True)
class Note:
    """An event a refusal carries, recorded once the refused work is undone (rolled back, or
    never written: the extension API's releases check before they write), so that a refusal
    leaves nothing behind but its audit event."""

    workspace_id: str
    action: str
    actor_id: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def insert_note(session: Executor, note: Note) -> None:
    """`record_note` as one Core INSERT (`insert_event`)."""
    insert_event(
        session,
        note.workspace_id,
        note.action,
        actor_id=note.actor_id,
        target_type=note.target_type,
        target_id=note.target_id,
        **note.details,
    )


def record_note(session: Session, note: Note) -> AuditEvent:
    return record(
        session,
        note.workspace_id,
        note.action,
        actor_id=note.actor_id,
        target_type=note.target_type,
        target_id=note.target_id,
        **note.details,
    )
