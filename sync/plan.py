"""The planner: a pure `diff(desired, actual)` into the Okta operations that close the gap.

Operations come out in a safe order, by phase: first a group that grants the app to someone who
may not launch it is unassigned (`RevokeGroup`: that person loses the chiclet with the first
write, before the app is even activated again); the app (and its group) exist, active, before
anyone is assigned; new users are assigned before old ones (and foreign groups) are unassigned,
so a user who keeps access never loses the chiclet in between; an app is deactivated before it is
deleted (Okta refuses to delete an ACTIVE app). Operations of one phase are independent of each
other and may run concurrently.

Okta refuses to remove a direct assignment while a group also grants the user the app (403
`E0000046`, DESIGN.md "Okta facts"; the Admin Console's "Convert assignments" has no public
API). So grants through groups go before direct assignments (phase 3, then 4), and a user the
group strategy moves into its group loses the direct assignment right before joining
(`MoveToGroup`): after the join, it could not be removed any more. A wanted user who holds the
app both ways already keeps both: there is no call that would change it.

Nothing is planned whose outcome is already known: a just-created app has no users, so its
assignments are planned without reading them; an app about to be deleted needs no label fix.
An operation on the app the plan creates carries `app_id=None`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from sync.state import ACTIVE, ActualApp, DesiredApp, Strategy


@dataclass(frozen=True)
class Op:
    account_id: str
    phase: ClassVar[int]


@dataclass(frozen=True)
class CreateApp(Op):
    label: str
    url: str
    phase: ClassVar[int] = 1


@dataclass(frozen=True)
class CreateGroup(Op):
    name: str
    description: str
    phase: ClassVar[int] = 1


@dataclass(frozen=True)
class UpdateApp(Op):
    """Restore the label and launch URL (renamed account, or changed by hand in Okta)."""

    app_id: str
    label: str
    url: str
    phase: ClassVar[int] = 1


@dataclass(frozen=True)
class ActivateApp(Op):
    """An app deactivated by hand is hidden from everyone assigned to it."""

    app_id: str
    phase: ClassVar[int] = 1


@dataclass(frozen=True)
class AssignUser(Op):
    app_id: str | None
    user_id: str
    phase: ClassVar[int] = 2


@dataclass(frozen=True)
class AssignGroup(Op):
    app_id: str | None
    group_id: str | None  # None: the group this plan creates
    phase: ClassVar[int] = 2


@dataclass(frozen=True)
class AddGroupMember(Op):
    group_id: str | None
    user_id: str
    phase: ClassVar[int] = 2


@dataclass(frozen=True)
class MoveToGroup(Op):
    """Remove the user's direct assignment, then add them to the group (in that order)."""

    app_id: str
    group_id: str | None  # None: the group this plan creates
    user_id: str
    phase: ClassVar[int] = 2


@dataclass(frozen=True)
class RevokeGroup(Op):
    """Unassign a group known to grant the app to someone who may not launch it (an Okta group
    that stopped being fit, or any group while someone not wanted holds the app through one):
    before anything else, so that person loses the chiclet at once. Its other members, who may
    launch, are assigned another way right after (phase 2): a moment without the chiclet for
    them, rather than minutes of it for someone who must not have it."""

    app_id: str
    group_id: str
    phase: ClassVar[int] = 0


@dataclass(frozen=True)
class UnassignUser(Op):
    """Remove a direct assignment, once no group of the plan grants the user the app."""

    app_id: str
    user_id: str
    phase: ClassVar[int] = 4


@dataclass(frozen=True)
class UnassignGroup(Op):
    """A group assigned to the app that is not Latchkey's (by hand): users hold the app only as
    the strategy says."""

    app_id: str
    group_id: str
    phase: ClassVar[int] = 3


@dataclass(frozen=True)
class RemoveGroupMember(Op):
    group_id: str
    user_id: str
    phase: ClassVar[int] = 3


@dataclass(frozen=True)
class DeleteGroup(Op):
    """Latchkey's group of the account: with it go its grants, before direct ones are removed."""

    group_id: str
    phase: ClassVar[int] = 3


@dataclass(frozen=True)
class DeleteApp(Op):
    """Deactivate (when ACTIVE), then delete."""

    app_id: str
    deactivate: bool = True
    phase: ClassVar[int] = 5


def diff(
    desired: DesiredApp, actual: ActualApp | None, strategy: Strategy = Strategy.INDIVIDUAL
) -> list[Op]:
    """The operations that bring `actual` to `desired`, in a safe order."""
    account = desired.account_id
    ops: list[Op] = []
    if actual is not None:
        ops += [DeleteApp(account, dup) for dup in actual.duplicates]
    if desired.remove:
        if actual is not None:
            ops.append(DeleteApp(account, actual.id, deactivate=actual.status == ACTIVE))
            if actual.group is not None:
                ops.append(DeleteGroup(account, actual.group.id))
        return ordered(ops)
    if actual is None:
        ops.append(CreateApp(account, desired.label, desired.url))
        ops += _grant(desired, None, strategy)
        return ordered(ops)
    if actual.label != desired.label or actual.url != desired.url:
        ops.append(UpdateApp(account, actual.id, desired.label, desired.url))
    if actual.status != ACTIVE:
        ops.append(ActivateApp(account, actual.id))
    ops += _grant(desired, actual, strategy)
    return ordered(ops)


def _grant(desired: DesiredApp, actual: ActualApp | None, strategy: Strategy) -> list[Op]:
    # `wanted`: who needs the app from the strategy; `allowed`: everyone who may have it (the
    # members of the Okta groups assigned to it too, who may also hold it directly: both ways).
    account, wanted, allowed = desired.account_id, desired.residual, desired.user_ids
    app_id = actual.id if actual is not None else None
    assigned = actual.user_ids if actual is not None and actual.user_ids else frozenset()
    group = actual.group if actual is not None else None
    groups = actual.group_ids if actual is not None and actual.group_ids else frozenset()
    ops: list[Op] = []
    if actual is not None:
        ours = ({group.id} if group is not None else set()) | desired.okta_groups
        holders = actual.group_holders or frozenset()
        # Someone who may not launch holds the app through a group we cannot tell: every group
        # that goes may be theirs, so every one goes first.
        suspect = bool(holders - allowed)
        for gid in sorted(groups - ours):
            if suspect or gid in desired.unfit_groups:
                ops.append(RevokeGroup(account, actual.id, gid))
            else:
                ops.append(UnassignGroup(account, actual.id, gid))
    ops += [AssignGroup(account, app_id, gid) for gid in sorted(desired.okta_groups - groups)]
    if strategy is Strategy.INDIVIDUAL:
        ops += [
            *(AssignUser(account, app_id, u) for u in sorted(wanted - assigned)),
            *(UnassignUser(account, actual.id, u) for u in sorted(assigned - allowed) if actual),
        ]
        if group is not None:
            # Left by the group strategy: its members are assigned directly first (phase 2),
            # and the group goes before any direct assignment is removed (phase 3, then 4).
            ops.append(DeleteGroup(account, group.id))
        return ops
    group_id = group.id if group is not None else None
    members = group.member_ids if group is not None else frozenset()
    if group is None:
        ops.append(CreateGroup(account, desired.group_name, desired.label))
        ops.append(AssignGroup(account, app_id, None))
    elif not group.assigned:
        ops.append(AssignGroup(account, app_id, group.id))
    for user in sorted(wanted - members):
        if actual is not None and user in assigned:
            # Held directly (by hand, or from the individual strategy): the direct assignment
            # goes first, or Okta would keep it for good once the group grants the app.
            ops.append(MoveToGroup(account, actual.id, group_id, user))
        else:
            ops.append(AddGroupMember(account, group_id, user))
    if group is not None:
        ops += [RemoveGroupMember(account, group.id, u) for u in sorted(members - wanted)]
    if actual is not None:
        # Direct assignments of users who may not have the app: once their membership is gone
        # (phase 3), nothing of ours grants it (phase 4).
        ops += [UnassignUser(account, actual.id, u) for u in sorted(assigned - allowed)]
    return ops


def ordered(ops: Sequence[Op]) -> list[Op]:
    """`ops` by phase, keeping their order within a phase."""
    return sorted(ops, key=lambda op: op.phase)


def phases(ops: Sequence[Op]) -> list[list[Op]]:
    """Consecutive runs of one phase: each run may be applied concurrently."""
    runs: list[list[Op]] = []
    for op in ordered(ops):
        if runs and runs[-1][0].phase == op.phase:
            runs[-1].append(op)
        else:
            runs.append([op])
    return runs
