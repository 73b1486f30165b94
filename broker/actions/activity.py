"""The activity log: the audit events of the workspace, newest first, filtered and paged in SQL.

Workspace Owners, Super Admins and Admins see every event (`rbac.can_view_all_activity`); other
members who may create items see the events of the accounts and collections they own; Login-only
members and guests see none. An event is shown from an allow-list of its details, so nothing an
event stores beyond them (ids of grants and credentials, hashes) reaches a page, and no event
ever held a secret to begin with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.orm import Session

from broker import rbac
from broker.actions._actor import actor
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import InvalidInput, PermissionDenied
from broker.models import Account, AuditEvent, Collection, ItemRole, Member, Share, TeamMembership
from broker.outbox import collection_subtree

PER_PAGE = 50
REFUSAL = "Login-only members and guests have no activity log."
# The families of events, as the filter offers them (the part of `action` before the dot).
KINDS = {
    "account": "Accounts",
    "share": "Sharing",
    "collection": "Collections",
    "team": "Teams",
    "okta": "Okta extension",
    "launch": "Blocked launches",
    "credential": "Logins released",
    "code": "Codes released",
    "member": "Members",
    "settings": "Settings",
    "signin": "Sign-in",
    "password": "Password rotation",
}
# What of an event's details a page may show; everything else stays in the database.
_SHOWN = ("name", "app_name", "role", "reason", "stage", "password", "totp", "field")
_NAMED = ("member_id", "team_id", "account_id", "collection_id")


@dataclass(frozen=True)
class EventRow:
    id: int
    at: datetime
    actor: str | None
    action: str
    target: str | None
    details: list[tuple[str, str]]


@dataclass(frozen=True)
class Activity:
    rows: list[EventRow]
    total: int
    page: int
    per_page: int
    sees_all: bool
    accounts: list[tuple[str, str]]  # (id, name) the filter offers
    members: list[tuple[str, str]]

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _detail(name: str) -> ColumnElement[Any]:
    column: ColumnElement[Any] = AuditEvent.details[name].as_string()
    return column


def _about_account(account_ids: list[str] | Select[Any]) -> ColumnElement[bool]:
    return or_(
        (AuditEvent.target_type == "account") & AuditEvent.target_id.in_(account_ids),
        _detail("account_id").in_(account_ids),
    )


def _about_collection(collection_ids: list[str] | Select[Any]) -> ColumnElement[bool]:
    return or_(
        (AuditEvent.target_type == "collection") & AuditEvent.target_id.in_(collection_ids),
        _detail("collection_id").in_(collection_ids),
    )


def _owned(db: Session, member: Member) -> ColumnElement[bool]:
    """Events about an account or a collection the member owns."""
    if member.role in rbac.RESTRICTED_ROLES:
        return false()
    visible = rbac.visible_accounts(rbac.MemberFacts.of(member), member.workspace_id).subquery()
    owned_accounts = select(visible.c.account_id).where(visible.c.strength == 2)
    teams = select(TeamMembership.team_id).where(TeamMembership.member_id == member.id)
    shared = select(Share.collection_id).where(
        (Share.member_id == member.id) | Share.team_id.in_(teams),
        Share.collection_id.is_not(None),
        Share.role == ItemRole.OWNER.value,
    )
    return or_(_about_account(owned_accounts), _about_collection(collection_subtree(shared)))


def _names(db: Session, rows: list[AuditEvent]) -> dict[str, str]:
    ids: set[str] = set()
    for row in rows:
        ids.update(i for i in (row.actor_id, row.target_id) if i)
        ids.update(str(row.details.get(k)) for k in _NAMED if row.details.get(k))
    names: dict[str, str] = {}
    for mid, name, email in db.execute(
        select(Member.id, Member.name, Member.email).where(Member.id.in_(ids))
    ):
        names[mid] = name or email
    for model in (Account, Collection):
        for iid, name in db.execute(select(model.id, model.name).where(model.id.in_(ids))):
            names[iid] = name
    return names


def _row(event: AuditEvent, names: dict[str, str]) -> EventRow:
    details = [(k, str(event.details[k])) for k in _SHOWN if k in event.details]
    details += [
        (k.removesuffix("_id"), names.get(str(event.details[k]), "(deleted)"))
        for k in _NAMED
        if event.details.get(k)
    ]
    target = None
    if event.target_type in ("account", "collection", "member") and event.target_id:
        target = f"{event.target_type} {names.get(event.target_id, '(deleted)')}"
    elif event.target_type:
        target = event.target_type
    return EventRow(
        event.id,
        event.at,
        names.get(event.actor_id or "") if event.actor_id else None,
        event.action,
        target,
        details,
    )


def listing(
    ctx: BrokerContext,
    member_id: str,
    *,
    account_id: str | None = None,
    actor_id: str | None = None,
    kind: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Activity:
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        if not rbac.can_create_items(member):
            raise PermissionDenied(REFUSAL)
        sees_all = rbac.can_view_all_activity(member)
        where: list[ColumnElement[bool]] = [AuditEvent.workspace_id == member.workspace_id]
        if not sees_all:
            where.append(_owned(db, member))
        if account_id:
            where.append(_about_account([account_id]))
        if actor_id:
            about_member = (AuditEvent.target_type == "member") & (AuditEvent.target_id == actor_id)
            where.append(or_(AuditEvent.actor_id == actor_id, about_member))
        if kind:
            if kind not in KINDS:
                raise InvalidInput("Choose a kind of event from the list.", field="kind")
            where.append(AuditEvent.action.like(f"{kind}.%"))
        total = db.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
        page = min(max(1, page), max(1, math.ceil(total / per_page)))
        events = list(
            db.scalars(
                select(AuditEvent)
                .where(*where)
                .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                .limit(per_page)
                .offset((page - 1) * per_page)
            )
        )
        names = _names(db, events)
        visible = rbac.visible_accounts(rbac.MemberFacts.of(member), member.workspace_id).subquery()
        account_choices = [
            (aid, name)
            for aid, name in db.execute(
                select(Account.id, Account.name)
                .join(visible, visible.c.account_id == Account.id)
                .order_by(func.lower(Account.name))
                .limit(500)
            )
        ]
        member_choices = [
            (mid, name or email)
            for mid, name, email in db.execute(
                select(Member.id, Member.name, Member.email)
                .where(Member.workspace_id == member.workspace_id)
                .order_by(Member.email)
            )
        ]
        return Activity(
            [_row(e, names) for e in events],
            total,
            page,
            per_page,
            sees_all,
            account_choices,
            member_choices,
        )
