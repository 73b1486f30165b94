"""The audit trail: credential and code releases, blocked launches, share and setting changes."""

from __future__ import annotations

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
