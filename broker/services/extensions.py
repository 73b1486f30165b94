"""Extending an account to Okta, removing it, and asking for a sync (the page actions)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker import audit, rbac
from broker.errors import NotFound, PermissionDenied
from broker.models import Account, Member, OktaExtension, SyncState, utcnow
from broker.outbox import request_sync
from broker.services._lookup import get


def extend_account(session: Session, actor: Member, account_id: str) -> OktaExtension:
    """*Extend account*: the account becomes a Bookmark app in Okta on the next sync."""
    account = get(session, Account, actor.workspace_id, account_id)
    if not rbac.can_extend(session, actor, account.id):
        raise PermissionDenied(
            "Only an Owner of this account, provisioned from Okta, can extend it."
        )
    extension = session.get(OktaExtension, account.id)
    if extension is None:
        extension = OktaExtension(
            account_id=account.id, workspace_id=account.workspace_id, extended_by_id=actor.id
        )
        session.add(extension)
    extension.removal_requested_at = None
    extension.sync_state = SyncState.PENDING
    # Extended from its own page: it stays when a collection holding it is removed from Okta.
    extension.through_collection_id = None
    session.flush()
    audit.record(
        session,
        account.workspace_id,
        "okta.extended",
        actor_id=actor.id,
        target_type="account",
        target_id=account.id,
    )
    request_sync(session, [account.id], "account extended")
    return extension


def _extension(
    session: Session, actor: Member, account_id: str, allowed: Callable[..., bool], refusal: str
) -> tuple[Account, OktaExtension]:
    account = get(session, Account, actor.workspace_id, account_id)
    extension = session.get(OktaExtension, account.id)
    if extension is None:
        raise NotFound("This account is not extended to Okta.")
    if not allowed(session, actor, account.id):
        raise PermissionDenied(refusal)
    return account, extension


def remove_from_okta(session: Session, actor: Member, account_id: str) -> OktaExtension:
    """*Remove from Okta*: sync deletes the app; the account itself is untouched."""
    account, extension = _extension(
        session,
        actor,
        account_id,
        rbac.can_remove_from_okta,
        "Only an Owner of this account can remove it from Okta.",
    )
    extension.removal_requested_at = utcnow()
    extension.sync_state = SyncState.REMOVING
    audit.record(
        session,
        account.workspace_id,
        "okta.removal_requested",
        actor_id=actor.id,
        target_type="account",
        target_id=account.id,
    )
    request_sync(session, [account.id], "removal from Okta requested")
    return extension


def sync_account(session: Session, actor: Member, account_id: str) -> OktaExtension:
    """*Sync account manually* (and each account of *Sync with Okta* on My Profile)."""
    account, extension = _extension(
        session, actor, account_id, rbac.can_sync, "Only an Owner of this account can sync it."
    )
    request_sync(session, [account.id], "manual sync")
    return extension


def sync_all(session: Session, actor: Member) -> list[str]:
    """*Sync with Okta* on My Profile: every extended account the member may sync."""
    extended = session.scalars(
        select(OktaExtension.account_id).where(
            OktaExtension.workspace_id == actor.workspace_id,
            OktaExtension.removal_requested_at.is_(None),
        )
    ).all()
    allowed = [a for a in extended if rbac.can_sync(session, actor, a)]
    request_sync(session, allowed, "Sync with Okta from My Profile")
    return allowed
