"""Shares: a member or a team gets Owner or Collaborator on an account or a collection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from broker import audit
from broker.errors import InvalidInput, NotFound
from broker.models import (
    Account,
    Collection,
    ItemRole,
    Member,
    Share,
    Team,
)
from broker.outbox import accounts_in_collections, request_sync
from broker.rbac import LOGIN_ONLY_OWNER_REFUSAL, may_hold
from broker.services._lookup import get


@dataclass(frozen=True)
class Subject:
    """Who a share is for: exactly one of a member or a team."""

    member_id: str | None = None
    team_id: str | None = None

    def __post_init__(self) -> None:
        if (self.member_id is None) == (self.team_id is None):
            raise InvalidInput("A share is for exactly one member or one team.", field="subject")


@dataclass(frozen=True)
class Target:
    """What a share is on: exactly one of an account or a collection."""

    account_id: str | None = None
    collection_id: str | None = None

    def __post_init__(self) -> None:
        if (self.account_id is None) == (self.collection_id is None):
            raise InvalidInput(
                "A share is on exactly one account or one collection.", field="target"
            )


def _resolve(session: Session, workspace_id: str, subject: Subject, target: Target) -> None:
    if subject.member_id:
        get(session, Member, workspace_id, subject.member_id)
    if subject.team_id:
        get(session, Team, workspace_id, subject.team_id)
    if target.account_id:
        get(session, Account, workspace_id, target.account_id)
    if target.collection_id:
        get(session, Collection, workspace_id, target.collection_id)


def _check_role(session: Session, workspace_id: str, subject: Subject, role: ItemRole) -> None:
    """`rbac.may_hold`: a Login-only member (or guest) can only be a Collaborator."""
    if subject.member_id:
        member = get(session, Member, workspace_id, subject.member_id)
        if not may_hold(member.role, role):
            raise InvalidInput(LOGIN_ONLY_OWNER_REFUSAL, field="role")


def _is(column: InstrumentedAttribute[str | None], value: str | None) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def _find(session: Session, subject: Subject, target: Target) -> Share | None:
    return session.scalar(
        select(Share).where(
            _is(Share.member_id, subject.member_id),
            _is(Share.team_id, subject.team_id),
            _is(Share.account_id, target.account_id),
            _is(Share.collection_id, target.collection_id),
        )
    )


def _affected(target: Target) -> list[str] | Select[Any]:
    if target.account_id:
        return [target.account_id]
    return accounts_in_collections([target.collection_id or ""])


def share(
    session: Session,
    workspace_id: str,
    subject: Subject,
    target: Target,
    role: ItemRole,
    *,
    actor_id: str | None = None,
) -> Share:
    """Grant (or change) a role; granting the same role twice changes nothing."""
    role = ItemRole(role)
    _resolve(session, workspace_id, subject, target)
    _check_role(session, workspace_id, subject, role)
    existing = _find(session, subject, target)
    if existing is not None and existing.role is role:
        return existing
    if existing is None:
        existing = Share(
            workspace_id=workspace_id,
            member_id=subject.member_id,
            team_id=subject.team_id,
            account_id=target.account_id,
            collection_id=target.collection_id,
            role=role,
        )
        session.add(existing)
    else:
        existing.role = role
    session.flush()
    audit.record(
        session,
        workspace_id,
        "share.granted",
        actor_id=actor_id,
        target_type="share",
        target_id=existing.id,
        role=role.value,
        **_describe(subject, target),
    )
    request_sync(session, _affected(target), "share granted")
    return existing


def unshare(
    session: Session,
    workspace_id: str,
    subject: Subject,
    target: Target,
    *,
    actor_id: str | None = None,
) -> None:
    _resolve(session, workspace_id, subject, target)
    existing = _find(session, subject, target)
    if existing is None:
        raise NotFound("There is no such share.")
    session.delete(existing)
    session.flush()
    audit.record(
        session,
        workspace_id,
        "share.revoked",
        actor_id=actor_id,
        target_type="share",
        target_id=existing.id,
        **_describe(subject, target),
    )
    request_sync(session, _affected(target), "share revoked")


def _describe(subject: Subject, target: Target) -> dict[str, str]:
    fields = {
        "member_id": subject.member_id,
        "team_id": subject.team_id,
        "account_id": target.account_id,
        "collection_id": target.collection_id,
    }
    return {k: v for k, v in fields.items() if v}
