"""Personal API tokens: a member creates, lists and revokes their own (docs/admin.md).

Who may hold tokens is `broker.rbac.can_hold_api_tokens`. Tokens are always the actor's own:
another member's token id is "not found". Deactivation revokes them all
(`broker.actions.members.deactivate_in`). A bearer token is turned back into its member by
`member_of_token`, which applies the same rule, so a member whose role became Login-only has
tokens that no longer open anything.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from broker import rbac
from broker.actions._actor import actor
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import PermissionDenied
from broker.models import Member
from broker.services import tokens
from broker.services.tokens import Issued, TokenRow

__all__ = ["Issued", "TokenRow", "allowed", "create", "listing", "member_of_token", "revoke"]

REFUSAL = "Login-only members and guests cannot have API tokens."


def _holder(db: Session, member_id: str) -> Member:
    member = actor(db, member_id)
    if not rbac.can_hold_api_tokens(member):
        raise PermissionDenied(REFUSAL)
    return member


def allowed(ctx: BrokerContext, member_id: str) -> bool:
    with transaction(ctx.sessions) as db:
        member = db.get(Member, member_id)
        return member is not None and rbac.can_hold_api_tokens(member)


def listing(ctx: BrokerContext, member_id: str) -> list[TokenRow]:
    with transaction(ctx.sessions) as db:
        return tokens.listing(db, _holder(db, member_id).id)


def create(ctx: BrokerContext, member_id: str, name: str) -> Issued:
    """A new token for the actor; the token text is in the answer and nowhere else."""
    with transaction(ctx.sessions) as db:
        return tokens.issue(db, _holder(db, member_id), name)


def revoke(ctx: BrokerContext, member_id: str, token_id: str) -> TokenRow:
    with transaction(ctx.sessions) as db:
        # Any active member may revoke their own tokens, even one whose role no longer allows
        # holding them: revoking only takes power away.
        return tokens.revoke(db, actor(db, member_id), token_id)


def member_of_token(ctx: BrokerContext, token: str) -> Member | None:
    """The member a bearer token acts as, or None: unknown, revoked, inactive, or not allowed."""
    with transaction(ctx.sessions) as db:
        member = tokens.resolve(db, token)
        if member is None or not rbac.can_hold_api_tokens(member):
            return None
        return member
