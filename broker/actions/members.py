"""Members: the list the admins see, and deactivation and reactivation, whoever starts them.

Deactivation is one path — SCIM (`active: false`), a page, the CLI — and it always does all of it,
in the one transaction of the request:
- `broker.services.members.set_inactive`: the member is inactive, so `broker.rbac` refuses every
  launch, redemption and code request from now on; the service queues sync of every extended
  account they reached (Okta loses their assignments);
- every broker session and every extension credential is revoked
  (`broker.sessions.revoke_all`, `broker.ext_tables.revoke_credentials`); both also refuse an
  inactive member on their own, so nothing slips through between deactivation and revocation;
- a password rotation is queued for each account they could launch until now: whatever they may
  have seen or kept is worthless once it runs.

`deactivate_in` is that path as a step of a caller's transaction (SCIM replacing a user);
`deactivate` is the same for an admin acting by hand, with its own unit of work.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from broker import rbac, sessions
from broker.actions._actor import admin
from broker.actions.snapshots import MemberRow, member_rows
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import InvalidInput
from broker.ext_tables import revoke_credentials
from broker.models import Member, utcnow
from broker.outbox import accounts_reached_by_member
from broker.rotation.queue import request_rotation
from broker.services import members


def listing(ctx: BrokerContext, member_id: str) -> list[MemberRow]:
    """Every member of the actor's workspace; admins only."""
    with transaction(ctx.sessions) as db:
        return member_rows(db, admin(db, member_id).workspace_id)


def launchable_accounts(session: Session, member: Member) -> list[str]:
    """The accounts RBAC lets the member launch now (the candidates come from the outbox)."""
    facts = rbac.MemberFacts.of(member)
    return [
        account_id
        for account_id in session.scalars(accounts_reached_by_member(member.id))
        if account_id is not None
        and rbac.decide_launch(session, facts, member.workspace_id, account_id).allowed
    ]


def deactivate_in(
    session: Session, member: Member, *, reason: str, actor_id: str | None = None
) -> None:
    """Deactivate `member` inside the caller's transaction: flag, revocations, rotations."""
    if not member.active:
        return
    # Before the flag changes: afterwards RBAC (rightly) says they can launch nothing.
    reachable = launchable_accounts(session, member)
    members.set_inactive(session, member.workspace_id, member.id, actor_id=actor_id)
    now = utcnow()
    sessions.revoke_all(session, member.id, now=now)
    revoke_credentials(session, member.id, now=now)
    request_rotation(session, member.workspace_id, reachable, reason)


def reactivate_in(session: Session, member: Member, *, actor_id: str | None = None) -> None:
    members.reactivate(session, member.workspace_id, member.id, actor_id=actor_id)


def deactivate(ctx: BrokerContext, member_id: str, target_id: str) -> None:
    """An admin deactivates a member of their workspace by hand; not themselves."""
    with transaction(ctx.sessions) as db:
        acting = admin(db, member_id)
        if target_id == acting.id:
            raise InvalidInput("You cannot deactivate yourself.", field="member")
        target = members.get_member(db, acting.workspace_id, target_id)
        deactivate_in(db, target, reason="member deactivated by an admin", actor_id=acting.id)


def reactivate(ctx: BrokerContext, member_id: str, target_id: str) -> None:
    with transaction(ctx.sessions) as db:
        acting = admin(db, member_id)
        target = members.get_member(db, acting.workspace_id, target_id)
        reactivate_in(db, target, actor_id=acting.id)
