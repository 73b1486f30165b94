"""Who may do what with an account: the only place access rules live (DESIGN.md, "RBAC").

The rules are pure functions of a member's facts and their effective role on an account; the
queries below gather those facts. Every endpoint, service and the sync planner call this module.

Effective role of a member on an account = the strongest of the shares that reach it: a direct
share on the account, a share on a collection holding it or on any ancestor of such a collection,
and the same two through every team the member belongs to.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    ScalarSelect,
    Select,
    bindparam,
    case,
    false,
    func,
    literal,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from broker.models import (
    Account,
    Collection,
    CollectionItem,
    ItemRole,
    Member,
    Share,
    TeamMembership,
    Workspace,
    WorkspaceRole,
)

ADMIN_ROLES = frozenset({WorkspaceRole.OWNER, WorkspaceRole.SUPER_ADMIN, WorkspaceRole.ADMIN})
# Guests are treated like Login-only members for this feature.
RESTRICTED_ROLES = frozenset({WorkspaceRole.LOGIN_ONLY, WorkspaceRole.GUEST})
_STRENGTH = {ItemRole.COLLABORATOR: 1, ItemRole.OWNER: 2}


@dataclass(frozen=True)
class MemberFacts:
    """What the rules need to know about a member."""

    id: str
    role: WorkspaceRole
    active: bool
    external_id: str | None

    @classmethod
    def of(cls, member: Member) -> MemberFacts:
        return cls(member.id, member.role, member.active, member.external_id)


class Denial(enum.StrEnum):
    """Why a launch is refused; recorded in the audit trail, never shown to an outsider."""

    UNKNOWN_ACCOUNT = "unknown_account"
    DEACTIVATED = "deactivated"
    LOGIN_ONLY = "login_only"
    NO_ACCESS = "no_access"


# --- the rules (pure) -------------------------------------------------------------------------


def strongest(roles: Iterable[ItemRole]) -> ItemRole | None:
    best: ItemRole | None = None
    for role in roles:
        if best is None or _STRENGTH[role] > _STRENGTH[best]:
            best = role
    return best


LOGIN_ONLY_OWNER_REFUSAL = "A Login-only member can only be a Collaborator."


def may_hold(workspace_role: WorkspaceRole, role: ItemRole) -> bool:
    """Login-only members (and guests) can only be Collaborators: the one statement of the rule,
    which the share and role services enforce on writes and `cap_for` on reads."""
    return not (role is ItemRole.OWNER and workspace_role in RESTRICTED_ROLES)


def cap_for(workspace_role: WorkspaceRole, role: ItemRole | None) -> ItemRole | None:
    """Whatever a share says, a member who may not hold it gets a Collaborator's role."""
    if role is not None and not may_hold(workspace_role, role):
        return ItemRole.COLLABORATOR
    return role


def launch_denial(member: MemberFacts, role: ItemRole | None) -> Denial | None:
    if not member.active:
        return Denial.DEACTIVATED
    if member.role in RESTRICTED_ROLES:
        return Denial.LOGIN_ONLY
    if role not in (ItemRole.OWNER, ItemRole.COLLABORATOR):
        return Denial.NO_ACCESS
    return None


def launch_allowed(member: MemberFacts, role: ItemRole | None) -> bool:
    return launch_denial(member, role) is None


def remove_allowed(member: MemberFacts, role: ItemRole | None) -> bool:
    """*Remove from Okta* works whether or not the feature is on."""
    return (
        member.active
        and member.role not in RESTRICTED_ROLES
        and role is ItemRole.OWNER
        and bool(member.external_id)
    )


def extend_allowed(member: MemberFacts, role: ItemRole | None, *, feature_on: bool) -> bool:
    return feature_on and remove_allowed(member, role)


sync_allowed = extend_allowed


def toggle_feature_allowed(member: MemberFacts) -> bool:
    return member.active and member.role in ADMIN_ROLES


edit_settings_allowed = toggle_feature_allowed


def assignable(member: MemberFacts, role: ItemRole | None) -> bool:
    """Whether the member belongs in the Okta assignment set of an account they have `role` on."""
    return bool(member.external_id) and launch_allowed(member, role)


# --- the facts (queries) -----------------------------------------------------------------------


# Statements are built once with bound parameters: building a recursive CTE per call costs more
# than running it (bench/rbac.py).
_ACCOUNT: BindParameter[str] = bindparam("account_id")
_MEMBER: BindParameter[str] = bindparam("member_id")


def _ancestor_collections() -> Select[Any]:
    """Ids of the collections holding the account, and of all their ancestors."""
    holding = select(CollectionItem.collection_id.label("id")).where(
        CollectionItem.account_id == _ACCOUNT
    )
    tree = holding.cte("account_collections", recursive=True)
    parent = aliased(Collection)
    tree = tree.union(
        select(parent.parent_id)
        .join(tree, parent.id == tree.c.id)
        .where(parent.parent_id.is_not(None))
    )
    return select(tree.c.id)


def _granted_roles_statement() -> CompoundSelect[Any]:
    collections = _ancestor_collections()
    teams = select(TeamMembership.team_id).where(TeamMembership.member_id == _MEMBER)
    return union_all(
        select(Share.role).where(Share.account_id == _ACCOUNT, Share.member_id == _MEMBER),
        select(Share.role).where(Share.account_id == _ACCOUNT, Share.team_id.in_(teams)),
        select(Share.role).where(Share.collection_id.in_(collections), Share.member_id == _MEMBER),
        select(Share.role).where(Share.collection_id.in_(collections), Share.team_id.in_(teams)),
    )


def _assignment_grants_statement() -> Select[Any]:
    reaching = (Share.account_id == _ACCOUNT) | Share.collection_id.in_(_ancestor_collections())
    direct = select(Share.member_id.label("member_id"), Share.role.label("role")).where(
        reaching, Share.member_id.is_not(None)
    )
    via_team = (
        select(TeamMembership.member_id.label("member_id"), Share.role.label("role"))
        .join(Share, Share.team_id == TeamMembership.team_id)
        .where(reaching)
    )
    grants = union(direct, via_team).subquery()
    return select(Member.id, Member.role, Member.active, Member.external_id, grants.c.role).join(
        grants, grants.c.member_id == Member.id
    )


def _granted_strength() -> ScalarSelect[Any]:
    """The strongest role the shares give the member on the account, as a strength (2 Owner, 1
    Collaborator, NULL none): a scalar subquery a statement that reads the account can select
    beside its columns, so the launch path reads the account and RBAC's facts in one statement."""
    roles = _granted_roles_statement().subquery("granted")
    return select(
        func.max(case((roles.c.role == ItemRole.OWNER.value, 2), else_=1))
    ).scalar_subquery()


_GRANTED_ROLES = _granted_roles_statement()
_ASSIGNMENT_GRANTS = _assignment_grants_statement()
# Bound parameters: `account_id`, `member_id`.
GRANTED_STRENGTH = _granted_strength()
_LAUNCH_FACTS = select(Account.id, GRANTED_STRENGTH.label("strength")).where(
    Account.id == _ACCOUNT,
    Account.deleted_at.is_(None),
    Account.workspace_id == bindparam("workspace_id"),
)


def granted_roles(session: Session, member_id: str, account_id: str) -> list[ItemRole]:
    """Every role a share gives the member on the account, by any path."""
    rows = session.execute(_GRANTED_ROLES, {"account_id": account_id, "member_id": member_id})
    return [ItemRole(r) for r in rows.scalars()]


def effective_role(session: Session, member: MemberFacts, account_id: str) -> ItemRole | None:
    return cap_for(member.role, strongest(granted_roles(session, member.id, account_id)))


def _live_account(session: Session, workspace_id: str, account_id: str) -> Account | None:
    account = session.get(Account, account_id)
    if account is None or account.deleted_at is not None or account.workspace_id != workspace_id:
        return None
    return account


@dataclass(frozen=True)
class LaunchDecision:
    allowed: bool
    denial: Denial | None
    role: ItemRole | None


def decide_launch(
    session: Session, member: MemberFacts, workspace_id: str, account_id: str
) -> LaunchDecision:
    """The launch check (and the authoritative recheck at redemption and at each code request):
    the account live in the workspace, and the member's strongest role on it, in one statement."""
    row = session.execute(
        _LAUNCH_FACTS,
        {"account_id": account_id, "member_id": member.id, "workspace_id": workspace_id},
    ).first()
    return decide_by_strength(
        member, None if row is None else row.strength, account_live=row is not None
    )


def decide_by_strength(
    member: MemberFacts, strength: int | None, *, account_live: bool
) -> LaunchDecision:
    """The launch rules on facts a statement read: `account_live` (the account exists, is not
    deleted and is in the member's workspace) and `strength`, `GRANTED_STRENGTH` selected with it
    for this member. The launch path reads both with what it releases (`broker.actions.launch`)."""
    if not account_live:
        return LaunchDecision(False, Denial.UNKNOWN_ACCOUNT, None)
    role = cap_for(member.role, None if strength is None else role_of_strength(strength))
    denial = launch_denial(member, role)
    return LaunchDecision(denial is None, denial, role)


def decide_member_launch(
    session: Session, member: Member | None, workspace_id: str, account_id: str
) -> LaunchDecision:
    """The launch check for a member row at a deployment serving `workspace_id`: a member gone,
    or of another workspace, has no access there whatever their shares say."""
    if member is None or member.workspace_id != workspace_id:
        return LaunchDecision(False, Denial.NO_ACCESS, None)
    return decide_launch(session, MemberFacts.of(member), workspace_id, account_id)


def can_launch(session: Session, member: Member, account_id: str) -> bool:
    return decide_launch(session, MemberFacts.of(member), member.workspace_id, account_id).allowed


def _owner_check(session: Session, member: Member, account_id: str) -> ItemRole | None:
    if _live_account(session, member.workspace_id, account_id) is None:
        return None
    return effective_role(session, MemberFacts.of(member), account_id)


def can_extend(session: Session, member: Member, account_id: str) -> bool:
    workspace = session.get(Workspace, member.workspace_id)
    feature_on = workspace is not None and workspace.extended_access_enabled
    role = _owner_check(session, member, account_id)
    return extend_allowed(MemberFacts.of(member), role, feature_on=feature_on)


can_sync = can_extend


def can_remove_from_okta(session: Session, member: Member, account_id: str) -> bool:
    return remove_allowed(MemberFacts.of(member), _owner_check(session, member, account_id))


def can_toggle_feature(member: Member) -> bool:
    return toggle_feature_allowed(MemberFacts.of(member))


can_edit_settings = can_toggle_feature


# --- assignment sets ---------------------------------------------------------------------------


def assignment_set(session: Session, account_id: str) -> frozenset[str]:
    """Okta user ids that must be assigned to the account's Bookmark app."""
    best: dict[MemberFacts, ItemRole] = {}
    for mid, role, active, ext, granted in session.execute(
        _ASSIGNMENT_GRANTS, {"account_id": account_id}
    ):
        member = MemberFacts(mid, WorkspaceRole(role), active, ext)
        if _stronger(ItemRole(granted), best.get(member)):
            best[member] = ItemRole(granted)
    return frozenset(
        m.external_id
        for m, r in best.items()
        if m.external_id and assignable(m, cap_for(m.role, r))
    )


@dataclass(frozen=True)
class _WorkspaceGraph:
    members: Mapping[str, MemberFacts]
    team_members: Mapping[str, list[str]]
    parents: Mapping[str, str | None]
    holders: Mapping[str, list[str]]  # account id -> collections holding it
    shares: Mapping[str, list[tuple[str | None, str | None, ItemRole]]]  # target -> grants


def _load_graph(session: Session, workspace_id: str) -> _WorkspaceGraph:
    members = {
        m.id: m
        for m in (
            MemberFacts(mid, WorkspaceRole(role), active, ext)
            for mid, role, active, ext in session.execute(
                select(Member.id, Member.role, Member.active, Member.external_id).where(
                    Member.workspace_id == workspace_id
                )
            )
        )
    }
    team_members: dict[str, list[str]] = defaultdict(list)
    for team_id, member_id in session.execute(
        select(TeamMembership.team_id, TeamMembership.member_id)
        .join(Member, Member.id == TeamMembership.member_id)
        .where(Member.workspace_id == workspace_id)
    ):
        team_members[team_id].append(member_id)
    parents: dict[str, str | None] = {
        cid: parent
        for cid, parent in session.execute(
            select(Collection.id, Collection.parent_id).where(
                Collection.workspace_id == workspace_id
            )
        )
    }
    holders: dict[str, list[str]] = defaultdict(list)
    for holder, held in session.execute(
        select(CollectionItem.collection_id, CollectionItem.account_id)
        .join(Collection, Collection.id == CollectionItem.collection_id)
        .where(Collection.workspace_id == workspace_id)
    ):
        holders[held].append(holder)
    shares: dict[str, list[tuple[str | None, str | None, ItemRole]]] = defaultdict(list)
    for share_member, share_team, target_account, collection_id, role in session.execute(
        select(
            Share.member_id, Share.team_id, Share.account_id, Share.collection_id, Share.role
        ).where(Share.workspace_id == workspace_id)
    ):
        target = f"a:{target_account}" if target_account else f"c:{collection_id}"
        shares[target].append((share_member, share_team, ItemRole(role)))
    return _WorkspaceGraph(members, team_members, parents, holders, shares)


def assignment_sets(
    session: Session, workspace_id: str, account_ids: Iterable[str] | None = None
) -> dict[str, frozenset[str]]:
    """Assignment sets of many accounts (a full sync pass) from one read of the graph."""
    graph = _load_graph(session, workspace_id)
    if account_ids is None:
        account_ids = session.scalars(
            select(Account.id).where(
                Account.workspace_id == workspace_id, Account.deleted_at.is_(None)
            )
        )
    # The rule, evaluated once per member and role rather than once per grant.
    verdict = {
        (m.id, role): assignable(m, cap_for(m.role, role))
        for m in graph.members.values()
        for role in ItemRole
    }
    lineage: dict[str, list[str]] = {}
    by_target: dict[str, dict[str, ItemRole]] = {}

    def ancestors(collection_id: str) -> list[str]:
        if collection_id not in lineage:
            parent = graph.parents.get(collection_id)
            lineage[collection_id] = [collection_id, *(ancestors(parent) if parent else [])]
        return lineage[collection_id]

    def grants_on(target: str) -> dict[str, ItemRole]:
        """Strongest role per member that the shares on one account or collection give."""
        if target not in by_target:
            best: dict[str, ItemRole] = {}
            for member_id, team_id, role in graph.shares.get(target, ()):
                ids = [member_id] if member_id else graph.team_members.get(team_id or "", ())
                for mid in ids:
                    if mid in graph.members and _stronger(role, best.get(mid)):
                        best[mid] = role
            by_target[target] = best
        return by_target[target]

    result: dict[str, frozenset[str]] = {}
    for account_id in account_ids:
        targets = [f"a:{account_id}"]
        for holder in graph.holders.get(account_id, ()):
            targets.extend(f"c:{c}" for c in ancestors(holder))
        merged = grants_on(targets[0])
        if len(targets) > 1:
            merged = dict(merged)
            for target in targets[1:]:
                for mid, role in grants_on(target).items():
                    if _stronger(role, merged.get(mid)):
                        merged[mid] = role
        result[account_id] = frozenset(
            graph.members[mid].external_id or ""
            for mid, role in merged.items()
            if verdict[(mid, role)]
        )
    return result


def _stronger(role: ItemRole, than: ItemRole | None) -> bool:
    return than is None or _STRENGTH[role] > _STRENGTH[than]


# --- managing the vault (accounts, collections, teams, activity) -------------------------------
#
# Who may change what in the vault (docs/rbac.md, "Managing the vault"). Seeing an item needs a
# share that reaches it; changing it, sharing it or deleting it needs Owner on it. Workspace
# admins run the workspace (settings, teams, the whole activity log) but do not read other
# people's accounts: an admin sees an account only when it is shared with them, like anyone.


def view_allowed(member: MemberFacts, role: ItemRole | None) -> bool:
    """See an account or collection in lists and on its page (never its secrets)."""
    return member.active and role in (ItemRole.OWNER, ItemRole.COLLABORATOR)


def manage_allowed(member: MemberFacts, role: ItemRole | None) -> bool:
    """Edit, rename, replace secrets, delete, share and unshare; `role` is already capped."""
    return member.active and member.role not in RESTRICTED_ROLES and role is ItemRole.OWNER


def create_allowed(member: MemberFacts) -> bool:
    """Add accounts and collections (the creator becomes their Owner) and import files."""
    return member.active and member.role not in RESTRICTED_ROLES


def api_tokens_allowed(member: MemberFacts) -> bool:
    """Hold personal API tokens and call the admin API with them: the same members who may
    create items. A token acts as its member, so Login-only members and guests, who never get
    credentials, get no token either (and one they hold stops working if their role changes)."""
    return create_allowed(member)


def manage_teams_allowed(member: MemberFacts) -> bool:
    """Create, rename and delete teams and change their members (not those Okta pushes)."""
    return member.active and member.role in ADMIN_ROLES


view_all_activity_allowed = manage_teams_allowed


def share_role_allowed(workspace_role: WorkspaceRole, role: ItemRole) -> bool:
    """Login-only members (and guests) can only be Collaborators, directly or through a team."""
    return role is not ItemRole.OWNER or workspace_role not in RESTRICTED_ROLES


_COLLECTION: BindParameter[str] = bindparam("collection_id")


def _collection_lineage() -> Select[Any]:
    """The collection and all its ancestors."""
    tree = select(Collection.id.label("id"), Collection.parent_id.label("parent_id")).where(
        Collection.id == _COLLECTION
    )
    tree_cte = tree.cte("collection_lineage", recursive=True)
    parent = aliased(Collection)
    tree_cte = tree_cte.union(
        select(parent.id, parent.parent_id).join(tree_cte, parent.id == tree_cte.c.parent_id)
    )
    return select(tree_cte.c.id)


def _collection_roles_statement() -> CompoundSelect[Any]:
    lineage = _collection_lineage()
    teams = select(TeamMembership.team_id).where(TeamMembership.member_id == _MEMBER)
    return union_all(
        select(Share.role).where(Share.collection_id.in_(lineage), Share.member_id == _MEMBER),
        select(Share.role).where(Share.collection_id.in_(lineage), Share.team_id.in_(teams)),
    )


_COLLECTION_ROLES = _collection_roles_statement()


def collection_role(session: Session, member: MemberFacts, collection_id: str) -> ItemRole | None:
    """The member's effective role on a collection: shares on it or any ancestor, any path."""
    rows = session.execute(
        _COLLECTION_ROLES, {"collection_id": collection_id, "member_id": member.id}
    )
    return cap_for(member.role, strongest(ItemRole(r) for r in rows.scalars()))


def _live_collection(session: Session, workspace_id: str, collection_id: str) -> bool:
    collection = session.get(Collection, collection_id)
    return collection is not None and collection.workspace_id == workspace_id


def account_role(session: Session, member: Member, account_id: str) -> ItemRole | None:
    """The member's effective role on a live account of their workspace, else None."""
    return _owner_check(session, member, account_id)


def can_view_account(session: Session, member: Member, account_id: str) -> bool:
    return view_allowed(MemberFacts.of(member), account_role(session, member, account_id))


def can_manage_account(session: Session, member: Member, account_id: str) -> bool:
    return manage_allowed(MemberFacts.of(member), account_role(session, member, account_id))


def _collection_check(session: Session, member: Member, collection_id: str) -> ItemRole | None:
    if not _live_collection(session, member.workspace_id, collection_id):
        return None
    return collection_role(session, MemberFacts.of(member), collection_id)


def can_view_collection(session: Session, member: Member, collection_id: str) -> bool:
    return view_allowed(MemberFacts.of(member), _collection_check(session, member, collection_id))


def can_manage_collection(session: Session, member: Member, collection_id: str) -> bool:
    return manage_allowed(MemberFacts.of(member), _collection_check(session, member, collection_id))


def can_extend_collection(session: Session, member: Member, collection_id: str) -> bool:
    """Extend (or sync) every account of a collection: Owner on it, as for one account."""
    workspace = session.get(Workspace, member.workspace_id)
    feature_on = workspace is not None and workspace.extended_access_enabled
    role = _collection_check(session, member, collection_id)
    return extend_allowed(MemberFacts.of(member), role, feature_on=feature_on)


def can_remove_collection_from_okta(session: Session, member: Member, collection_id: str) -> bool:
    return remove_allowed(MemberFacts.of(member), _collection_check(session, member, collection_id))


def can_create_items(member: Member) -> bool:
    return create_allowed(MemberFacts.of(member))


def can_hold_api_tokens(member: Member) -> bool:
    return api_tokens_allowed(MemberFacts.of(member))


def can_manage_teams(member: Member) -> bool:
    return manage_teams_allowed(MemberFacts.of(member))


def can_view_all_activity(member: Member) -> bool:
    return view_all_activity_allowed(MemberFacts.of(member))


_OWNER_STRENGTH = _STRENGTH[ItemRole.OWNER]


def role_of_strength(strength: int) -> ItemRole:
    return ItemRole.OWNER if strength >= _OWNER_STRENGTH else ItemRole.COLLABORATOR


def visible_accounts(member: MemberFacts, workspace_id: str) -> Select[Any]:
    """`(account_id, strength)` of every live account the member can see, one row per account.

    A statement, not a list, so a page can join it with `Account` and search and page in SQL
    (5,000 accounts stay one query). `strength` is 2 for Owner and 1 for Collaborator, capped for
    Login-only members: compare with `role_of_strength`.
    """
    teams = select(TeamMembership.team_id).where(TeamMembership.member_id == member.id)
    reaching = (Share.member_id == member.id) | Share.team_id.in_(teams)
    strength = case((Share.role == ItemRole.OWNER.value, 2), else_=1)
    # Collections shared with the member, and every collection beneath them (nested inherit).
    seeds = select(Share.collection_id.label("id"), strength.label("strength")).where(
        reaching, Share.collection_id.is_not(None)
    )
    tree = seeds.cte("visible_collections", recursive=True)
    child = aliased(Collection)
    tree = tree.union_all(
        select(child.id, tree.c.strength).join(tree, child.parent_id == tree.c.id)
    )
    grants = union_all(
        select(Share.account_id.label("account_id"), strength.label("strength")).where(
            reaching, Share.account_id.is_not(None)
        ),
        select(CollectionItem.account_id, tree.c.strength).join(
            tree, CollectionItem.collection_id == tree.c.id
        ),
    ).subquery()
    best: ColumnElement[Any] = func.max(grants.c.strength)
    if member.role in RESTRICTED_ROLES:
        best = literal(1)  # Login-only members (and guests) are Collaborators at most
    return (
        select(grants.c.account_id.label("account_id"), best.label("strength"))
        .join(Account, Account.id == grants.c.account_id)
        .where(
            Account.workspace_id == workspace_id,
            Account.deleted_at.is_(None),
            true() if member.active else false(),
        )
        .group_by(grants.c.account_id)
    )


def visible_collections(member: MemberFacts, workspace_id: str) -> Select[Any]:
    """`(collection_id, strength)` of every collection the member can see (a share on it or on
    an ancestor, directly or through a team), one row per collection; `strength` as in
    `visible_accounts`, capped for Login-only members."""
    teams = select(TeamMembership.team_id).where(TeamMembership.member_id == member.id)
    reaching = (Share.member_id == member.id) | Share.team_id.in_(teams)
    strength = case((Share.role == ItemRole.OWNER.value, 2), else_=1)
    seeds = select(Share.collection_id.label("id"), strength.label("strength")).where(
        reaching, Share.collection_id.is_not(None)
    )
    tree = seeds.cte("seen_collections", recursive=True)
    child = aliased(Collection)
    tree = tree.union_all(
        select(child.id, tree.c.strength).join(tree, child.parent_id == tree.c.id)
    )
    best: ColumnElement[Any] = func.max(tree.c.strength)
    if member.role in RESTRICTED_ROLES:
        best = literal(1)
    return (
        select(tree.c.id.label("collection_id"), best.label("strength"))
        .join(Collection, Collection.id == tree.c.id)
        .where(Collection.workspace_id == workspace_id, true() if member.active else false())
        .group_by(tree.c.id)
    )


def has_manager(session: Session, account_id: str) -> bool:
    """Whether some active member may still manage the account (an Owner share reaches them):
    a change that would leave an account with nobody to run it must hand it to someone."""
    for mid, role, active, ext, granted in session.execute(
        _ASSIGNMENT_GRANTS, {"account_id": account_id}
    ):
        member = MemberFacts(mid, WorkspaceRole(role), active, ext)
        if manage_allowed(member, cap_for(member.role, ItemRole(granted))):
            return True
    return False
