"""What SCIM (de)activation does to a member, beyond the flag.

Deactivation, in the one transaction of the SCIM request:
- `broker.services.members.deactivate`: the member is inactive, so `broker.rbac` refuses every
  launch, redemption and code request from now on; the service queues sync of every extended
  account they reached (Okta loses their assignments);
- every broker session and every extension credential is revoked
  (`broker.sessions.revoke_all`, `broker.ext_api.credentials.revoke_all`); both also refuse an
  inactive member on their own, so nothing slips through between deactivation and revocation;
- a password rotation is queued for each account they could launch until now: whatever they may
  have seen or kept is worthless once it runs.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from broker import rbac, sessions
from broker.ext_api import credentials
from broker.models import Member, utcnow
from broker.outbox import accounts_reached_by_member
from broker.rotation.queue import request_rotation
from broker.services import members


def launchable_accounts(session: Session, member: Member) -> list[str]:
    """The accounts RBAC lets the member launch now (the candidates come from the outbox)."""
    facts = rbac.MemberFacts.of(member)
    return [
        account_id
        for account_id in session.scalars(accounts_reached_by_member(member.id))
        if account_id is not None
        and rbac.decide_launch(session, facts, member.workspace_id, account_id).allowed
    ]


def deactivate(session: Session, member: Member, *, reason: str) -> None:
    if not member.active:
        return
    # Before the flag changes: afterwards RBAC (rightly) says they can launch nothing.
    reachable = launchable_accounts(session, member)
    members.deactivate(session, member.workspace_id, member.id)
    now = utcnow()
    sessions.revoke_all(session, member.id, now=now)
    credentials.revoke_all(session, member.id, now=now)
    request_rotation(session, member.workspace_id, reachable, reason)


def reactivate(session: Session, member: Member) -> None:
    members.reactivate(session, member.workspace_id, member.id)
