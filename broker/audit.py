"""The audit trail: credential and code releases, blocked launches, share and setting changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from broker.models import AuditEvent


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


@dataclass(frozen=True)
class Note:
    """An event to record after the refused work was rolled back, in a transaction of its own,
    so that a refusal leaves nothing behind but its audit event."""

    workspace_id: str
    action: str
    actor_id: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


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
