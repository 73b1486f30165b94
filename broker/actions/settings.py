"""The workspace settings of extended access: the switch, the IDP Domain and the API token.

The workspace services do not check roles themselves (SCIM and the CLI call them too), so these
actions check `rbac.can_edit_settings` / `can_toggle_feature` here, before any write.
"""

from __future__ import annotations

from dataclasses import dataclass

from broker import rbac
from broker.actions._actor import admin
from broker.actions.snapshots import SettingsSnapshot, settings_snapshot
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import PermissionDenied
from broker.services import workspaces

REFUSAL = "Only a workspace Owner, Super Admin or Admin can change these settings."


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


def require_access(ctx: BrokerContext, member_id: str) -> None:
    """Refuse early (before reading a form or calling Okta) whoever may not edit the settings."""
    with transaction(ctx.sessions) as db:
        admin(db, member_id, refusal=REFUSAL)


def require_toggle(ctx: BrokerContext, member_id: str) -> None:
    with transaction(ctx.sessions) as db:
        if not rbac.can_toggle_feature(admin(db, member_id, refusal=REFUSAL)):
            raise PermissionDenied(REFUSAL)


def read(ctx: BrokerContext, member_id: str) -> SettingsSnapshot:
    with transaction(ctx.sessions) as db:
        return settings_snapshot(db, admin(db, member_id, refusal=REFUSAL).workspace_id)


def change(ctx: BrokerContext, member_id: str, change: SettingsChange) -> None:
    """Apply every field of `change` or none (an invalid domain leaves the switch untouched)."""
    with transaction(ctx.sessions) as db:
        member = admin(db, member_id, refusal=REFUSAL)
        if change.extended_access is not None and not rbac.can_toggle_feature(member):
            raise PermissionDenied(REFUSAL)
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
