"""Workspace members: join, change role, deactivate (SCIM or by hand), reactivate."""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from broker import audit
from broker.errors import Conflict, InvalidInput
from broker.models import ItemRole, Member, Share, WorkspaceRole, utcnow
from broker.outbox import accounts_reached_by_member, request_sync
from broker.rbac import LOGIN_ONLY_OWNER_REFUSAL, may_hold
from broker.services._lookup import clean_name, get

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def _clean_email(email: str) -> str:
    email = email.strip()
    if not _EMAIL.match(email) or len(email) > 320:
        raise InvalidInput(f"{email!r} is not an email address.", field="email")
    return email


def _check_external_id_free(
    session: Session, workspace_id: str, external_id: str, member_id: str | None
) -> None:
    holder = session.scalar(
        select(Member.id).where(
            Member.workspace_id == workspace_id, Member.external_id == external_id
        )
    )
    if holder is not None and holder != member_id:
        raise Conflict("Another member already has this Okta user id.", field="external_id")


def add_member(
    session: Session,
    workspace_id: str,
    email: str,
    *,
    name: str = "",
    role: WorkspaceRole = WorkspaceRole.USER,
    external_id: str | None = None,
    active: bool = True,
    actor_id: str | None = None,
) -> Member:
    email = _clean_email(email)
    exists = session.scalar(
        select(Member.id).where(Member.workspace_id == workspace_id, Member.email == email)
    )
    if exists:
        raise Conflict(f"{email} is already a member of this workspace.", field="email")
    if external_id:
        _check_external_id_free(session, workspace_id, external_id, None)
    member = Member(
        workspace_id=workspace_id,
        email=email,
        name=clean_name(name, field="name") if name.strip() else "",
        role=WorkspaceRole(role),
        external_id=external_id or None,
        active=active,
        deactivated_at=None if active else utcnow(),
    )
    session.add(member)
    session.flush()
    audit.record(
        session,
        workspace_id,
        "member.added",
        actor_id=actor_id,
        target_type="member",
        target_id=member.id,
        role=member.role.value,
    )
    return member


def update_profile(
    session: Session,
    workspace_id: str,
    member_id: str,
    *,
    email: str,
    name: str,
    actor_id: str | None = None,
) -> Member:
    """A new email or display name (SCIM profile pushes); no Okta state depends on either."""
    member = get(session, Member, workspace_id, member_id)
    email = _clean_email(email)
    name = clean_name(name) if name.strip() else ""
    if email == member.email and name == member.name:
        return member
    if email != member.email:
        taken = session.scalar(
            select(Member.id).where(Member.workspace_id == workspace_id, Member.email == email)
        )
        if taken:
            raise Conflict(f"{email} is already a member of this workspace.", field="email")
    member.email, member.name = email, name
    session.flush()
    audit.record(
        session,
        workspace_id,
        "member.profile_changed",
        actor_id=actor_id,
        target_type="member",
        target_id=member.id,
    )
    return member


def set_role(
    session: Session,
    workspace_id: str,
    member_id: str,
    role: WorkspaceRole,
    *,
    actor_id: str | None = None,
) -> Member:
    member = get(session, Member, workspace_id, member_id)
    role = WorkspaceRole(role)
    if not may_hold(role, ItemRole.OWNER):
        owner_share = session.scalar(
            select(Share.id).where(Share.member_id == member.id, Share.role == ItemRole.OWNER)
        )
        if owner_share:
            raise InvalidInput(
                f"{LOGIN_ONLY_OWNER_REFUSAL[:-1]}: change their Owner shares first.", field="role"
            )
    previous, member.role = member.role, role
    audit.record(
        session,
        workspace_id,
        "member.role_changed",
        actor_id=actor_id,
        target_type="member",
        target_id=member.id,
        before=previous.value,
        after=role.value,
    )
    request_sync(session, accounts_reached_by_member(member.id), "member role changed")
    return member


def set_external_id(
    session: Session,
    workspace_id: str,
    member_id: str,
    external_id: str | None,
    *,
    actor_id: str | None = None,
) -> Member:
    member = get(session, Member, workspace_id, member_id)
    if external_id:
        _check_external_id_free(session, workspace_id, external_id, member.id)
    member.external_id = external_id or None
    request_sync(session, accounts_reached_by_member(member.id), "member Okta id changed")
    return member


def get_member(session: Session, workspace_id: str, member_id: str) -> Member:
    return get(session, Member, workspace_id, member_id)


def set_inactive(
    session: Session, workspace_id: str, member_id: str, *, actor_id: str | None = None
) -> Member:
    """Only the flag (and the re-sync of every extended account they reached): revokes no
    session or credential and queues no rotation. To deactivate someone, call
    `broker.actions.members.deactivate` (or `deactivate_in`), which does all of it."""
    return _set_active(session, workspace_id, member_id, False, actor_id)


def reactivate(
    session: Session, workspace_id: str, member_id: str, *, actor_id: str | None = None
) -> Member:
    return _set_active(session, workspace_id, member_id, True, actor_id)


def _set_active(
    session: Session, workspace_id: str, member_id: str, active: bool, actor_id: str | None
) -> Member:
    member = get(session, Member, workspace_id, member_id)
    if member.active == active:
        return member
    member.active = active
    member.deactivated_at = None if active else utcnow()
    action = "member.reactivated" if active else "member.deactivated"
    audit.record(
        session, workspace_id, action, actor_id=actor_id, target_type="member", target_id=member.id
    )
    request_sync(session, accounts_reached_by_member(member.id), action.replace(".", " "))
    return member


def remove(
    session: Session, workspace_id: str, member_id: str, *, actor_id: str | None = None
) -> None:
    member = get(session, Member, workspace_id, member_id)
    # Queue before the shares disappear, or the affected accounts can no longer be found.
    request_sync(session, accounts_reached_by_member(member.id), "member removed")
    session.execute(delete(Share).where(Share.member_id == member.id))
    session.delete(member)
    audit.record(
        session,
        workspace_id,
        "member.removed",
        actor_id=actor_id,
        target_type="member",
        target_id=member_id,
    )
