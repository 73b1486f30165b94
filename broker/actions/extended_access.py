"""Extended account access: extend an account to Okta, sync it, remove it; *Sync with Okta*.

Each action re-reads its actor in its own transaction (a role may have changed since the page was
drawn), asks `broker.rbac` or lets the service ask it, and raises a `broker.errors.DomainError`
when refused: the caller maps that to a page or a JSON error. A refused action writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from broker import rbac
from broker.actions._actor import actor
from broker.actions.snapshots import AccountSnapshot, account_snapshot
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import Conflict, NotFound
from broker.models import Member, OktaExtension, Workspace
from broker.services import extensions


def account(ctx: BrokerContext, member_id: str, account_id: str) -> AccountSnapshot:
    """The account as the member may see it; NotFound when they cannot launch it."""
    with transaction(ctx.sessions) as db:
        snapshot = account_snapshot(db, actor(db, member_id), account_id)
        if snapshot is None:
            raise NotFound("No such account.")
        return snapshot


def _on_account(
    ctx: BrokerContext,
    member_id: str,
    account_id: str,
    act: Callable[[Session, Member], OktaExtension],
) -> None:
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        # Someone who cannot launch the account is not told it exists.
        if not rbac.can_launch(db, member, account_id):
            raise NotFound("No such account.")
        act(db, member)


def _feature_on(db: Session, member: Member) -> None:
    """Extending and syncing need the switch on; said plainly rather than as a role refusal."""
    workspace = db.get(Workspace, member.workspace_id)
    if workspace is None or not workspace.extended_access_enabled:
        raise Conflict("Extended account access is turned off in this workspace.")


def extend(ctx: BrokerContext, member_id: str, account_id: str) -> None:
    def act(db: Session, member: Member) -> OktaExtension:
        _feature_on(db, member)
        existing = db.get(OktaExtension, account_id)
        if existing is not None and existing.removal_requested_at is None:
            raise Conflict("This account is already extended to Okta.")
        return extensions.extend_account(db, member, account_id)

    _on_account(ctx, member_id, account_id, act)


def _extended(db: Session, account_id: str) -> None:
    if db.get(OktaExtension, account_id) is None:
        raise Conflict("This account is not extended to Okta.")


def remove(ctx: BrokerContext, member_id: str, account_id: str) -> None:
    def act(db: Session, member: Member) -> OktaExtension:
        _extended(db, account_id)
        # A second submit, or Back to the dialog: say what is true rather than remove again.
        extension = db.get(OktaExtension, account_id)
        if extension is not None and extension.removal_requested_at is not None:
            raise Conflict("This account is already being removed from Okta.")
        return extensions.remove_from_okta(db, member, account_id)

    _on_account(ctx, member_id, account_id, act)


def sync(ctx: BrokerContext, member_id: str, account_id: str) -> None:
    def act(db: Session, member: Member) -> OktaExtension:
        _feature_on(db, member)
        _extended(db, account_id)
        extension = db.get(OktaExtension, account_id)
        if extension is not None and extension.removal_requested_at is not None:
            raise Conflict("This account is being removed from Okta.")
        return extensions.sync_account(db, member, account_id)

    _on_account(ctx, member_id, account_id, act)


def sync_all(ctx: BrokerContext, member_id: str) -> list[str]:
    """*Sync with Okta*: the ids of the accounts queued (those the member may sync)."""
    with transaction(ctx.sessions) as db:
        return extensions.sync_all(db, actor(db, member_id))
