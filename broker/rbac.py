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

from sqlalchemy import BindParameter, CompoundSelect, Select, bindparam, select, union, union_all
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


_GRANTED_ROLES = _granted_roles_statement()
_ASSIGNMENT_GRANTS = _assignment_grants_statement()


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
    """The launch check (and the authoritative recheck at redemption and at each code request)."""
    if _live_account(session, workspace_id, account_id) is None:
        return LaunchDecision(False, Denial.UNKNOWN_ACCOUNT, None)
    role = effective_role(session, member, account_id)
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
