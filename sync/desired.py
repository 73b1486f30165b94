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
from broker.models import (
    Account,
    CollectionItem,
    OktaExtension,
    Share,
    SyncState,
    Team,
    Workspace,
)
from broker.models import Collection as Folder
from sync.labels import LabelRequest, assign_labels
from sync.okta_groups import Assignment, TeamRef
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
    # Teams a share on the account (or on a collection holding it) reaches: their Okta groups
    # may be assigned instead of their members (`sync/okta_groups.py`).
    teams: tuple[TeamRef, ...] = ()
    # What the last sync left in Okta, and whether that sync ended with the account synced.
    recorded: Assignment | None = None
    synced: bool = False

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
    teams = _teams_reaching(session, workspace.id, live)
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
            teams.get(account.id, ()),
            Assignment.from_json(ext.okta_assignment),
            ext.sync_state is SyncState.SYNCED and ext.create_started_at is None,
        )
    return targets


def _teams_reaching(
    session: Session, workspace_id: str, account_ids: Collection[str]
) -> dict[str, tuple[TeamRef, ...]]:
    """account id -> the teams a share reaches it through: on the account, or on a collection
    holding it or any ancestor of one (as `broker.rbac` reads shares)."""
    if not account_ids:
        return {}
    shares = session.execute(
        select(Share.account_id, Share.collection_id, Team.id, Team.name, Team.external_id)
        .join(Team, Team.id == Share.team_id)
        .where(Share.workspace_id == workspace_id)
    ).all()
    if not shares:
        return {}
    on_account: dict[str, set[TeamRef]] = {}
    on_collection: dict[str, set[TeamRef]] = {}
    for account_id, collection_id, team_id, name, external_id in shares:
        ref = TeamRef(team_id, name, external_id)
        if account_id is not None:
            on_account.setdefault(account_id, set()).add(ref)
        elif collection_id is not None:
            on_collection.setdefault(collection_id, set()).add(ref)
    holders: dict[str, list[str]] = {}
    parents: dict[str, str | None] = {}
    if on_collection:
        parents = dict(
            session.execute(
                select(Folder.id, Folder.parent_id).where(Folder.workspace_id == workspace_id)
            ).all()
        )
        for collection_id, account_id in session.execute(
            select(CollectionItem.collection_id, CollectionItem.account_id)
            .join(Folder, Folder.id == CollectionItem.collection_id)
            .where(Folder.workspace_id == workspace_id)
        ):
            holders.setdefault(account_id, []).append(collection_id)
    found: dict[str, tuple[TeamRef, ...]] = {}
    for account_id in account_ids:
        refs = set(on_account.get(account_id, ()))
        for holder in holders.get(account_id, ()):
            current: str | None = holder
            seen: set[str] = set()
            while current is not None and current not in seen:
                seen.add(current)
                refs |= on_collection.get(current, set())
                current = parents.get(current)
        if refs:
            found[account_id] = tuple(sorted(refs, key=lambda r: (r.name.casefold(), r.team_id)))
    return found
