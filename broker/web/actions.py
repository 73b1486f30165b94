"""The extended-access actions the pages and the admin API share, each one unit of work.

Every action re-reads its actor in its own transaction (a role may have changed since the page was
drawn), asks `broker.rbac` or lets the service ask it, and raises a `broker.errors.DomainError`
when refused: the caller maps that to a page or a JSON error. A refused action writes nothing.

The workspace services do not check roles themselves (SCIM and the CLI call them too), so the
settings actions check `rbac.can_edit_settings` / `can_toggle_feature` here, before any write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from broker import rbac
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import Conflict, NotFound, PermissionDenied
from broker.models import Member, OktaExtension, Workspace
from broker.services import extensions, workspaces

_SETTINGS_REFUSAL = "Only a workspace Owner, Super Admin or Admin can change these settings."


@dataclass(frozen=True)
class SettingsChange:
    """What to change; None leaves a field as it is. The token is write-only."""

    extended_access: bool | None = None
    okta_domain: str | None = None
    okta_token: str | None = None

    def __repr__(self) -> str:
        # The token must never reach a log or a traceback through this value.
        token = None if self.okta_token is None else "'**********'"
        return (
            f"SettingsChange(extended_access={self.extended_access!r}, "
            f"okta_domain={self.okta_domain!r}, okta_token={token})"
        )


def actor(db: Session, member_id: str) -> Member:
    """The member as the database has them now; a deactivated one can do nothing."""
    member = db.get(Member, member_id)
    if member is None or not member.active:
        raise PermissionDenied("Your membership is no longer active.")
    return member


def require_settings_access(member: Member) -> None:
    if not rbac.can_edit_settings(member):
        raise PermissionDenied(_SETTINGS_REFUSAL)


def change_settings(ctx: BrokerContext, member_id: str, change: SettingsChange) -> None:
    """Apply every field of `change` or none (an invalid domain leaves the switch untouched)."""
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        require_settings_access(member)
        if change.extended_access is not None and not rbac.can_toggle_feature(member):
            raise PermissionDenied(_SETTINGS_REFUSAL)
        workspace_id = member.workspace_id
        if change.okta_domain is not None:
            workspaces.set_okta_domain(db, workspace_id, change.okta_domain, actor_id=member.id)
        if change.okta_token is not None:
            workspaces.set_okta_token(
                db, workspace_id, change.okta_token, vault=ctx.vault, actor_id=member.id
            )
        if change.extended_access is not None:
            workspaces.set_extended_access(
                db, workspace_id, change.extended_access, actor_id=member.id
            )


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
