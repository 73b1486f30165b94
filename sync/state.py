"""The two states sync compares: what the broker wants in Okta, and what Okta holds.

`DesiredApp` comes from the database through the RBAC module (`sync/desired.py`); `ActualApp`
from the Okta Management API (`sync/actual.py`). `sync/plan.py` turns the pair into operations.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

ACTIVE = "ACTIVE"


class Strategy(enum.StrEnum):
    """How users reach the app: one assignment each, or one Latchkey-owned group per app."""

    INDIVIDUAL = "individual"
    GROUP = "group"


@dataclass(frozen=True)
class DesiredApp:
    account_id: str
    label: str
    url: str  # `<broker>/launch/<account id>`: how the app is found again
    user_ids: frozenset[str] = frozenset()  # Okta user ids
    # Account deleted or *Remove from Okta*: the app must go, whatever else is true.
    remove: bool = False
    # Okta groups of pushed teams to assign to the app (every member may launch it), the users
    # they grant it, and the groups known to grant it to someone who may not: removed first.
    okta_groups: frozenset[str] = frozenset()
    covered: frozenset[str] = frozenset()
    unfit_groups: frozenset[str] = frozenset()

    @property
    def residual(self) -> frozenset[str]:
        """Who needs the app another way (one by one, or through Latchkey's group)."""
        return self.user_ids - self.covered

    @property
    def group_name(self) -> str:
        """The name of the account's Okta group under the group strategy (never changes)."""
        return group_name(self.account_id)


def group_name(account_id: str) -> str:
    return f"Latchkey {account_id}"


@dataclass(frozen=True)
class ActualGroup:
    id: str
    member_ids: frozenset[str]
    assigned: bool  # assigned to the app


@dataclass(frozen=True)
class ActualApp:
    id: str
    label: str
    status: str
    url: str
    # Users assigned to the app directly (those sync can unassign); None when not read because
    # the answer cannot change the plan (the app is about to be deleted).
    user_ids: frozenset[str] | None = None
    # Latchkey's group of the account: kept under the group strategy, deleted under the
    # individual one (left from a switch of strategy) once its users are assigned directly.
    group: ActualGroup | None = None
    # Other apps with the same launch URL (made by hand, or by an older bug): removed.
    duplicates: tuple[str, ...] = field(default=())
    # Every group assigned to the app; None when not read because no user holds the app through
    # a group (a group that grants no one anything is not worth a call per app).
    group_ids: frozenset[str] | None = None
    # Users holding the app through a group only (listed with scope GROUP); None when not read.
    group_holders: frozenset[str] | None = None
