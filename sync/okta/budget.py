"""A rate-limit budget shared by every process that calls Okta with one API token.

Okta counts a token's calls per bucket and per window, whichever process makes them: two sync
workers with a limiter each would both spend the whole share, and near a window's end Okta
refuses the excess with 429s. With a `SharedBudget`, the limiter reserves each call (or a batch of
calls, as many as wait in line) from a count all the processes share before it sends it, and hands
Okta's `X-Rate-Limit-*` answer back, since Okta's count is the truth (other integrations spend
from the org's limit too).

The protocol is what the limiter needs; `sync/budget.py` keeps the count in PostgreSQL. A window
is known only from Okta's answers: past a window's reset nobody reserves until one call (a
*probe*, one for all the processes) has brought the new window's reset back. A reservation made
for a window is spent only while the window has at least `margin` seconds to run, so that the call
reaches Okta inside it (Okta's clock is known from `Date`, to the second).

Times are Okta's (server epoch seconds). A store that cannot be reached raises
`BudgetUnavailable`: the limiter then tries again, and in the end fails the call, never sending it
unreserved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sync.okta.errors import TemporaryError
from sync.okta.headers import RateLimitHeaders


@dataclass(frozen=True)
class Grant:
    """What a reservation got."""

    calls: int  # calls reserved now (0: none)
    reset: float | None  # the window they count in (None: a probe, for a window not known yet)
    used: int = 0  # calls reserved in that window so far, by everyone
    retry_at: float | None = None  # nothing granted: the window is spent until then (or None:
    # another process's probe is out, ask again shortly)


class SharedBudget(Protocol):
    async def reserve(
        self,
        bucket: str,
        calls: int,
        *,
        allowance: int,
        now: float,
        margin: float,
        probe_for: float,
    ) -> Grant:
        """Reserve up to `calls` in `bucket`'s current window, at most `allowance` in a window."""
        ...

    async def observe(self, bucket: str, headers: RateLimitHeaders, *, now: float) -> int:
        """Fold Okta's answer into the count; the calls now counted in that window."""
        ...

    async def abandon_probe(self, bucket: str) -> None:
        """A probe brought no window back: the next asker probes."""
        ...


class BudgetUnavailable(TemporaryError):
    """The shared budget could not be reached: the call was not sent (try again later)."""

    def __init__(self, summary: str) -> None:
        super().__init__(None, None, f"the shared Okta rate-limit budget is unavailable: {summary}")
