"""What the extended-access pages and the admin API show, read in one transaction as plain values.

A snapshot never holds a secret: the Okta API token appears only as whether it is set, when it
was set and what Okta last said of it; an account only as its name, app, login URL and username.
The permissions a snapshot carries decide which buttons are drawn; the actions check again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker import rbac
from broker.models import (
    Account,
    Member,
    OktaExtension,
    SealedSecret,
    SyncState,
    TokenStatus,
    Workspace,
    WorkspaceRole,
)


@dataclass(frozen=True)
class TokenSnapshot:
    is_set: bool
    set_at: datetime | None
    status: TokenStatus
    checked_at: datetime | None
    error: str | None

    @property
    def needs_update(self) -> bool:
        """Okta refused the token: the page shows *Update* and syncing is paused."""
        return self.status is TokenStatus.INVALID


@dataclass(frozen=True)
class SettingsSnapshot:
    extended_access: bool
    okta_domain: str | None
    token: TokenSnapshot


def settings_snapshot(db: Session, workspace_id: str) -> SettingsSnapshot:
    workspace = db.get_one(Workspace, workspace_id)
    secret = (
        db.get(SealedSecret, workspace.okta_token_secret_id)
        if workspace.okta_token_secret_id
        else None
    )
    token = TokenSnapshot(
        is_set=secret is not None,
        set_at=secret.created_at if secret is not None else None,
        status=workspace.okta_token_status,
        checked_at=workspace.okta_token_checked_at,
        error=workspace.okta_token_error,
    )
    return SettingsSnapshot(workspace.extended_access_enabled, workspace.okta_domain, token)


@dataclass(frozen=True)
class AssignmentSnapshot:
    """How the last successful sync assigned the account's app in Okta (what sync recorded in
    `okta_extensions.okta_assignment`): through the Okta groups of pushed teams, and who else
    one by one (or through Latchkey's own group under the group strategy)."""

    groups: tuple[tuple[str, int], ...]  # Okta group (team) name, people in it
    individual: int
    through_latchkey_group: bool
    unfit: tuple[tuple[str, int], ...]  # team whose group is not used, members who may not launch

    @classmethod
    def of(cls, raw: object) -> AssignmentSnapshot | None:
        if not isinstance(raw, dict):
            return None
        try:
            return cls(
                tuple((str(g["name"]), int(g["people"])) for g in raw.get("groups") or ()),
                int(raw.get("individual") or 0),
                raw.get("strategy") == "group",
                tuple((str(u["name"]), int(u["outside"])) for u in raw.get("unfit") or ()),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class ExtensionSnapshot:
    extended_at: datetime
    extended_by: str | None  # a name or email; None when that member is gone
    last_synced_at: datetime | None
    state: SyncState
    last_error: str | None
    okta_app_id: str | None
    assignment: AssignmentSnapshot | None = None


@dataclass(frozen=True)
class AccountSnapshot:
    id: str
    name: str
    app_name: str
    login_url: str
    username: str
    feature_on: bool
    extension: ExtensionSnapshot | None
    can_extend: bool
    can_sync: bool
    can_remove: bool
    can_manage: bool = False  # edit, share, delete (`rbac.can_manage_account`)

    @property
    def removing(self) -> bool:
        return self.extension is not None and self.extension.state is SyncState.REMOVING


def _who(member: Member | None) -> str | None:
    return None if member is None else member.name or member.email


def account_snapshot(db: Session, viewer: Member, account_id: str) -> AccountSnapshot | None:
    """The account as `viewer` may see it, or None when they cannot launch it (or it is none)."""
    if not viewer.active or not rbac.can_launch(db, viewer, account_id):
        return None
    account = db.get_one(Account, account_id)
    workspace = db.get_one(Workspace, account.workspace_id)
    row = db.get(OktaExtension, account_id)
    extension = None
    if row is not None:
        by = db.get(Member, row.extended_by_id) if row.extended_by_id else None
        extension = ExtensionSnapshot(
            extended_at=row.extended_at,
            extended_by=_who(by),
            last_synced_at=row.last_synced_at,
            state=row.sync_state,
            last_error=row.last_error,
            okta_app_id=row.okta_app_id,
            assignment=AssignmentSnapshot.of(row.okta_assignment),
        )
    removing = row is not None and row.removal_requested_at is not None
    live = row is not None and not removing
    return AccountSnapshot(
        id=account.id,
        name=account.name,
        app_name=account.app_name,
        login_url=account.login_url,
        username=account.username,
        feature_on=workspace.extended_access_enabled,
        extension=extension,
        can_extend=(row is None or removing) and rbac.can_extend(db, viewer, account_id),
        can_sync=live and rbac.can_sync(db, viewer, account_id),
        can_remove=live and rbac.can_remove_from_okta(db, viewer, account_id),
        can_manage=rbac.can_manage_account(db, viewer, account_id),
    )


@dataclass(frozen=True)
class MemberRow:
    id: str
    name: str
    email: str
    role: WorkspaceRole
    active: bool
    external_id: str | None  # the Okta user id SCIM sent; None: not from Okta


def member_rows(db: Session, workspace_id: str) -> list[MemberRow]:
    members = db.scalars(
        select(Member).where(Member.workspace_id == workspace_id).order_by(Member.email)
    )
    return [MemberRow(m.id, m.name, m.email, m.role, m.active, m.external_id) for m in members]


ROLE_NAMES = {
    WorkspaceRole.OWNER: "Owner",
    WorkspaceRole.SUPER_ADMIN: "Super Admin",
    WorkspaceRole.ADMIN: "Admin",
    WorkspaceRole.USER: "User",
    WorkspaceRole.LOGIN_ONLY: "Login-only",
    WorkspaceRole.GUEST: "Guest",
}
