"""The acting member as the database has them now, and the admin check several families share."""

from __future__ import annotations

from sqlalchemy.orm import Session

from broker import rbac
from broker.errors import PermissionDenied
from broker.models import Member

ADMIN_REFUSAL = "Only a workspace Owner, Super Admin or Admin can do this."


def actor(db: Session, member_id: str) -> Member:
    """The member as the database has them now; a deactivated one can do nothing."""
    member = db.get(Member, member_id)
    if member is None or not member.active:
        raise PermissionDenied("Your membership is no longer active.")
    return member


def admin(db: Session, member_id: str, *, refusal: str = ADMIN_REFUSAL) -> Member:
    """The actor, who must be allowed to change workspace settings (`rbac.can_edit_settings`)."""
    member = actor(db, member_id)
    if not rbac.can_edit_settings(member):
        raise PermissionDenied(refusal)
    return member
