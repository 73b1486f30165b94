"""The desired Okta state of a workspace's extended accounts, read from the database.

Who is assigned comes from `broker.rbac` (the only place access is decided); labels from
`sync.labels`, computed over every extended account of the workspace so duplicates are numbered
the same way whichever account is being synced.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker import rbac
from broker.models import Account, OktaExtension, Workspace
from sync.labels import LabelRequest, assign_labels
from sync.recent import RecentWrites
from sync.state import DesiredApp

# Below this many accounts, one RBAC query per account beats loading the workspace's graph.
_PER_ACCOUNT_QUERIES = 4


@dataclass(frozen=True)
class Target:
    """One extended account to sync: what Okta should hold, and what the broker recorded."""

    workspace_id: str
    desired: DesiredApp
    okta_app_id: str | None
    recorded_label: str | None
    # When sync last started creating the app (`OktaExtension.create_started_at`).
    create_started_at: datetime | None = None
    # Assignments sync wrote lately, which Okta's user listing may not show yet.
    recent: RecentWrites = field(default_factory=RecentWrites)

    @property
    def account_id(self) -> str:
        return self.desired.account_id


def launch_url(broker_url: str, account_id: str) -> str:
    return f"{broker_url.rstrip('/')}/launch/{account_id}"


def removal_wanted(account: Account, extension: OktaExtension) -> bool:
    return account.deleted_at is not None or extension.removal_requested_at is not None


def load_targets(
    session: Session,
    workspace: Workspace,
    broker_url: str,
    account_ids: Collection[str] | None = None,
) -> dict[str, Target]:
    """The targets among `account_ids` (default: every extended account of the workspace)."""
    rows = session.execute(
        select(OktaExtension, Account)
        .join(Account, Account.id == OktaExtension.account_id)
        .where(OktaExtension.workspace_id == workspace.id)
    ).all()
    labels = assign_labels(
        LabelRequest(account.id, account.name, account.app_name, ext.extended_at, ext.label)
        for ext, account in rows
        if not removal_wanted(account, ext)
    )
    wanted = [
        (ext, account) for ext, account in rows if account_ids is None or account.id in account_ids
    ]
    live = [account.id for ext, account in wanted if not removal_wanted(account, ext)]
    if len(live) <= _PER_ACCOUNT_QUERIES:
        users = {account_id: rbac.assignment_set(session, account_id) for account_id in live}
    else:
        users = rbac.assignment_sets(session, workspace.id, live)
    targets: dict[str, Target] = {}
    for ext, account in wanted:
        remove = removal_wanted(account, ext)
        desired = DesiredApp(
            account_id=account.id,
            label=(ext.label or "") if remove else labels[account.id],
            url=launch_url(broker_url, account.id),
            user_ids=frozenset() if remove else users[account.id],
            remove=remove,
        )
        targets[account.id] = Target(
            workspace.id,
            desired,
            ext.okta_app_id,
            ext.label,
            ext.create_started_at,
            RecentWrites.load(ext.recent_writes),
        )
    return targets
