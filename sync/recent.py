"""What sync itself assigned and unassigned lately: Okta's lists trail its writes.

Okta's listing of an app's users is eventually consistent (DESIGN.md, "Okta facts"): for a while
after an assignment it may not show the user, after an unassignment it may still show them. A
sync that read only the listing would then leave a user it assigned a moment ago in place after
their share was removed, and call the account synced. So each account keeps the assignments sync
wrote within the listing grace (`OktaExtension.recent_writes`), and the next sync reads the
listing through them.

Where the listing contradicts a young write, the listing may lag or someone may have changed the
app by hand since: either way the user is read as the opposite of what they should be, so the
plan writes once more. Both writes are idempotent (an assigned user answers 409, a gone one
404), so this costs one call in that rare case and is right in both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_ASSIGNED, _UNASSIGNED = "assigned", "unassigned"


@dataclass(frozen=True)
class RecentWrites:
    """User id → when (epoch seconds on the worker's clock) sync assigned or unassigned them."""

    assigned: Mapping[str, float] = field(default_factory=dict)
    unassigned: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, raw: Mapping[str, Mapping[str, float]] | None) -> RecentWrites:
        raw = raw or {}
        return cls(dict(raw.get(_ASSIGNED) or {}), dict(raw.get(_UNASSIGNED) or {}))

    def seen_through(
        self, listed: frozenset[str], wanted: frozenset[str], now: float, grace: float
    ) -> frozenset[str]:
        """The users to diff against `wanted`: the listed ones, except that a user whose young
        write the listing contradicts is read as the opposite of `wanted` (one more write)."""
        users = set(listed)
        for user_id in self.assigned.keys() | self.unassigned.keys():
            at_assign = self.assigned.get(user_id, -1.0)
            at_unassign = self.unassigned.get(user_id, -1.0)
            if now - max(at_assign, at_unassign) >= grace:
                continue  # old enough: the listing is right by now
            assigned_last = at_assign > at_unassign
            if assigned_last == (user_id in listed):
                continue  # the listing agrees with what we wrote
            if user_id in wanted:
                users.discard(user_id)
            else:
                users.add(user_id)
        return frozenset(users)

    def with_writes(
        self, assigned: Iterable[str], unassigned: Iterable[str], now: float, grace: float
    ) -> dict[str, dict[str, float]] | None:
        """The record to keep: these writes added, those past the grace dropped (None: none)."""
        fresh = {
            _ASSIGNED: {u: t for u, t in self.assigned.items() if now - t < grace},
            _UNASSIGNED: {u: t for u, t in self.unassigned.items() if now - t < grace},
        }
        for user_id in assigned:
            fresh[_ASSIGNED][user_id] = now
        for user_id in unassigned:
            fresh[_UNASSIGNED][user_id] = now
        return fresh if fresh[_ASSIGNED] or fresh[_UNASSIGNED] else None
