"""What a sync round did: the summary `latchkey sync` prints and the benchmark reads."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Tally:
    """Counts of one round; `add` merges another round's counts into this one."""

    accounts: int = 0
    synced: int = 0
    removed: int = 0
    failed: int = 0
    retrying: int = 0
    deferred: int = 0  # waiting for Okta to show an app whose create started moments ago
    paused_workspaces: int = 0
    apps_created: int = 0
    apps_updated: int = 0
    apps_deleted: int = 0
    apps_activated: int = 0
    assignments_added: int = 0
    assignments_removed: int = 0
    groups_created: int = 0
    groups_deleted: int = 0
    groups_assigned: int = 0  # Okta groups of pushed teams, and Latchkey's own
    groups_unassigned: int = 0
    members_added: int = 0
    members_removed: int = 0
    calls: Counter[str] = field(default_factory=Counter)  # API calls per Okta bucket
    errors: list[str] = field(default_factory=list)  # "account id: reason", for the summary

    def add(self, other: Tally) -> None:
        for name, value in vars(other).items():
            if isinstance(value, int):
                setattr(self, name, getattr(self, name) + value)
        self.calls.update(other.calls)
        self.errors.extend(other.errors)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())
