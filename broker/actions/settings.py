"""The workspace settings of extended access: the switch, the IDP Domain, the API token and
**Test connection** (DESIGN.md, "The user's journey", step 1).

The workspace services do not check roles themselves (SCIM and the CLI call them too), so these
actions check `rbac.can_edit_settings` / `can_toggle_feature` here, before any write.
"""

from __future__ import annotations

from dataclasses import dataclass

from anyio import to_thread

from broker import audit, rbac
from broker.actions._actor import admin
from broker.actions.snapshots import SettingsSnapshot, settings_snapshot
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import PermissionDenied
from broker.models import SealedSecret, Workspace
from broker.ports import ConnectionResult, OktaConnectionCheck
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


@dataclass(frozen=True)
class _Target:
    workspace_id: str
    domain: str | None
    token: str | None

    def __repr__(self) -> str:
        return f"_Target(domain={self.domain!r}, token='**********')"


def _target(ctx: BrokerContext, member_id: str) -> _Target:
    with transaction(ctx.sessions) as db:
        workspace = db.get_one(Workspace, admin(db, member_id, refusal=REFUSAL).workspace_id)
        secret_id = workspace.okta_token_secret_id
        secret = db.get(SealedSecret, secret_id) if secret_id else None
        token = None
        if secret is not None:
            token = ctx.vault.open_text(secret, purpose=workspaces.OKTA_TOKEN_PURPOSE)
        return _Target(workspace.id, workspace.okta_domain, token)


def _record(
    ctx: BrokerContext, member_id: str, workspace_id: str, result: ConnectionResult
) -> None:
    with transaction(ctx.sessions) as db:
        if result.recorded:
            error = None if result.ok else result.summary
            workspaces.record_token_check(db, workspace_id, ok=result.ok, error=error)
        audit.record(
            db,
            workspace_id,
            "settings.okta_connection_tested",
            actor_id=member_id,
            target_type="workspace",
            target_id=workspace_id,
            ok=result.ok,
            summary=result.summary,
        )


async def test_connection(
    ctx: BrokerContext, member_id: str, check: OktaConnectionCheck | None
) -> ConnectionResult:
    """Ask Okta (through the port `check`) about the stored domain and token; record the answer
    when it says something about the token, and audit it either way."""
    target = await to_thread.run_sync(_target, ctx, member_id)
    if not target.domain or not target.token:
        return ConnectionResult(
            False, "Enter the IDP Domain and an API token first.", recorded=False
        )
    if check is None:
        return ConnectionResult(
            False, "This broker was started without a way to reach Okta.", recorded=False
        )
    result = await check(target.domain, target.token)
    await to_thread.run_sync(_record, ctx, member_id, target.workspace_id, result)
    return result
