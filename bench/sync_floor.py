"""The floor of a sync run under Okta's fixed rate-limit windows, and how a run used them.

Okta counts Management API calls per bucket in fixed one-minute windows: the whole budget of a
window is granted at its start, and `X-Rate-Limit-Reset` names the end of the current window in
epoch seconds (https://developer.okta.com/docs/reference/rl-best-practices/, "Check your rate
limits with Okta's rate limit headers"; https://developer.okta.com/docs/reference/rl-global-mgmt/).
The sandbox does the same (`sandbox/org/limits.py`: windows aligned to the org clock, a token's
budget `floor(limit x share)`). So a run that starts at phase `phi` of a window has the whole
budget `L_b` of each bucket `b` in its first, partial window (`(1 - phi)` of a minute long), then
`L_b` at the start of every window after it. Nothing else is allowed to spend it before the run.

The calls a run cannot avoid form a DAG (`Plan`): a call may leave once every call it needs is
answered (a new app's id before its assignments; its group's too before the group is assigned),
and takes `latency` seconds from leaving to its answer. Two numbers come out of it:

- `bound`: no schedule can end before, for any bucket with `C_b` calls, the start of window
  `ceil(C_b / L_b)` (counting the partial first window as window 1), plus one call's latency; nor
  before the longest chain of calls, one latency each, has run. The largest of these.
- `schedule`: the end of one schedule that keeps every rule: each call leaves as soon as its
  calls are answered and its bucket has budget left in the current window, the calls that unlock
  the most others first. It is a schedule, so the true floor is no later than it; it is at least
  `bound`, so when the two meet (to within a latency) the floor is known exactly.

The bench measures a run's wall time against `schedule` and prints both. Concurrency limits are
left out (Okta's is 75 calls in flight per org): leaving a limit out can only lower a floor.

`Usage` reads back a run's calls (org time, bucket) window by window: the budget a window left
unspent while the run still had calls to make is time the run lost to its own pacing or work.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class Plan:
    """Calls in the order they were added; a call may only need calls added before it."""

    buckets: list[str] = field(default_factory=list)
    needs: list[tuple[int, ...]] = field(default_factory=list)

    def add(self, bucket: str, *needs: int) -> int:
        index = len(self.buckets)
        if any(not 0 <= n < index for n in needs):
            raise ValueError("a call may only need calls added before it")
        self.buckets.append(bucket)
        self.needs.append(tuple(needs))
        return index

    def add_many(self, bucket: str, count: int, *needs: int) -> None:
        for _ in range(count):
            self.add(bucket, *needs)

    def __len__(self) -> int:
        return len(self.buckets)

    def per_bucket(self) -> dict[str, int]:
        return dict(sorted(Counter(self.buckets).items()))

    def depth(self) -> int:
        """Calls in the longest chain."""
        level: list[int] = []
        for needs in self.needs:
            level.append(1 + max((level[n] for n in needs), default=0))
        return max(level, default=0)


@dataclass(frozen=True)
class Windows:
    """Fixed windows of `size` org seconds aligned to the org clock; the run starts at `start`."""

    start: float  # org epoch seconds
    size: float = 60.0

    @property
    def phase(self) -> float:
        """Where in its window the run started: 0 at a window's start, close to 1 at its end."""
        return (self.start % self.size) / self.size

    def begins(self, k: int) -> float:
        """Org seconds after `start` at which window `k` begins (window 0: the partial first)."""
        if k == 0:
            return 0.0
        first_end = (math.floor(self.start / self.size) + 1) * self.size
        return first_end + (k - 1) * self.size - self.start

    def index(self, at: float) -> int:
        """The window holding org time `at` (epoch seconds), counted from the run's first."""
        return math.floor(at / self.size) - math.floor(self.start / self.size)


def bound(plan: Plan, budgets: Mapping[str, int], windows: Windows, latency: float) -> float:
    """Org seconds before which no schedule of `plan` can have every answer (see module)."""
    ends = [
        windows.begins(math.ceil(c / budgets[b]) - 1) + latency
        for b, c in plan.per_bucket().items()
    ]
    return max([*ends, plan.depth() * latency], default=0.0)


def schedule(plan: Plan, budgets: Mapping[str, int], windows: Windows, latency: float) -> float:
    """Org seconds after the start at which the greedy schedule (see module) has every answer."""
    n = len(plan)
    if n == 0:
        return 0.0
    waiting = [len(needs) for needs in plan.needs]
    unlocks: list[list[int]] = [[] for _ in range(n)]
    for call, needs in enumerate(plan.needs):
        for need in needs:
            unlocks[need].append(call)
    # Priority: how many calls each one unlocks, directly and through the calls it unlocks.
    weight = [0] * n
    for call in range(n - 1, -1, -1):
        weight[call] = sum(1 + weight[u] for u in unlocks[call])
    ready_at = [0.0] * n
    pending: list[tuple[float, int]] = [(0.0, c) for c in range(n) if waiting[c] == 0]
    heapq.heapify(pending)  # (ready at, call): not yet moved to its bucket's line
    lines: dict[str, list[tuple[int, int]]] = defaultdict(list)  # bucket -> (-weight, call)
    left = dict(budgets)
    window, sent, end = 0, 0, 0.0
    now = 0.0
    while sent < n:
        while pending and pending[0][0] <= now:
            _, call = heapq.heappop(pending)
            heapq.heappush(lines[plan.buckets[call]], (-weight[call], call))
        answered = now + latency
        for bucket, line in lines.items():
            while line and left[bucket] > 0:
                _, call = heapq.heappop(line)
                left[bucket] -= 1
                sent += 1
                end = max(end, answered)
                for unlocked in unlocks[call]:
                    ready_at[unlocked] = max(ready_at[unlocked], answered)
                    waiting[unlocked] -= 1
                    if waiting[unlocked] == 0:
                        heapq.heappush(pending, (ready_at[unlocked], unlocked))
        # The next moment something may change: a call getting ready in this window (it joins
        # its bucket's line); else the next window's start, with a fresh budget.
        next_window = windows.begins(window + 1)
        if pending and pending[0][0] < next_window:
            now = pending[0][0]
        else:
            window += 1
            now = max(now, next_window)
            left = dict(budgets)
    return end


@dataclass(frozen=True)
class Usage:
    """A run's calls per bucket and window, against the budget."""

    per_window: dict[str, dict[int, int]]  # bucket -> window index -> calls
    budgets: Mapping[str, int]
    last_window: int

    @classmethod
    def of(
        cls, calls: Iterable[tuple[float, str]], budgets: Mapping[str, int], windows: Windows
    ) -> Usage:
        per: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        last = 0
        for at, bucket in calls:
            k = windows.index(at)
            per[bucket][k] += 1
            last = max(last, k)
        return cls({b: dict(w) for b, w in per.items()}, budgets, last)

    def unspent(self, bucket: str) -> int:
        """Budget left unspent in the windows before the run's last one (that bucket's)."""
        used = self.per_window.get(bucket, {})
        if not used:
            return 0
        last = max(used)
        return sum(self.budgets[bucket] - used.get(k, 0) for k in range(last))

    def windows_used(self, bucket: str) -> int:
        used = self.per_window.get(bucket, {})
        return max(used) + 1 if used else 0

    def over(self) -> list[tuple[str, int, int]]:
        """(bucket, window, calls) wherever a window held more calls than the budget."""
        return [
            (b, k, c)
            for b, used in sorted(self.per_window.items())
            for k, c in sorted(used.items())
            if b in self.budgets and c > self.budgets[b]
        ]


def windows_needed(calls: Mapping[str, int], budgets: Mapping[str, int]) -> dict[str, int]:
    """Per bucket, how many windows its calls need at least."""
    return {b: math.ceil(c / budgets[b]) for b, c in calls.items() if c}


def describe(per_bucket: Mapping[str, int]) -> str:
    return ", ".join(f"{b} {c}" for b, c in sorted(per_bucket.items()))


def minutes(org_seconds: float) -> float:
    return org_seconds / 60.0


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]
