"""A limiter's side of a shared budget (`budget.py`), for one bucket in one process.

The head of the bucket's line reserves calls for everyone waiting in it (`reserve`); each caller
then spends one (`take`), while its window has more than the margin to run. After the call,
`settle` tells the budget what it must know: the answer's headers when they teach something
(`to_fold`: a new window, more calls counted by Okta than reserved, a 429), a probe that brought
no window back (given up, so that someone probes again at once), a reservation never spent (back
to the line, if its window is still the one reserved for).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import httpx

from sync.okta.budget import BudgetUnavailable, SharedBudget
from sync.okta.headers import RateLimitHeaders

logger = logging.getLogger(__name__)


class Times(Protocol):
    """The limiter's clocks: local seconds, and Okta's as learnt from `Date`."""

    def now(self) -> float: ...

    def server_now(self) -> float: ...

    def local(self, server_time: float) -> float: ...

    async def sleep_until(self, deadline: float) -> None: ...


@dataclass(frozen=True)
class Pacing:
    margin: float  # server seconds before a reset after which a window's reservations are void
    probe_for: float  # server seconds a probe may stay unanswered before another one goes
    poll: float  # local seconds between looks while another process probes
    retries: int  # reservations tried again when the budget cannot be reached


class Reservations:
    def __init__(
        self,
        budget: SharedBudget,
        bucket: str,
        pacing: Pacing,
        times: Times,
        changed: Callable[[], None],
    ) -> None:
        self.budget = budget
        self.bucket = bucket
        self.pacing = pacing
        self.times = times
        self._changed = changed  # wakes the callers waiting in line
        self.tickets = 0  # calls reserved and not sent yet
        self.window: float | None = None  # the window they count in (None: a probe)
        self.ask_at: float | None = None  # local time to ask the budget again
        self._known: float | None = None  # the window the budget last spoke of
        self._known_used = 0  # and the calls it counted in it

    def verdict(self) -> bool | float | None:
        """True: a reservation is ready; a float: ask again at that local time; None: ask now."""
        if self.tickets > 0:
            window = self.window
            if window is None or self.times.server_now() + self.pacing.margin < window:
                return True
            self.tickets = 0  # too late in their window to reach Okta inside it
        if self.ask_at is not None and self.times.now() < self.ask_at:
            return self.ask_at
        return None

    def take(self) -> float | None:
        """Spend one reservation; the window it counts in (None: a probe)."""
        self.tickets -= 1
        return self.window

    async def reserve(self, wanted: int, allowance: int) -> None:
        """Ask the budget for `wanted` calls (never a call without one: after the retries, the
        caller's call fails with `BudgetUnavailable`, a temporary error)."""
        failures = 0
        while True:
            try:
                grant = await self.budget.reserve(
                    self.bucket,
                    wanted,
                    allowance=allowance,
                    now=self.times.server_now(),
                    margin=self.pacing.margin,
                    probe_for=self.pacing.probe_for,
                )
                break
            except BudgetUnavailable as error:
                if failures >= self.pacing.retries:
                    raise
                failures += 1
                logger.warning("could not reserve Okta calls (%s); trying again", error)
                await self.times.sleep_until(self.times.now() + 0.1 * 2**failures)
        if grant.calls > 0:
            self.tickets, self.window, self.ask_at = grant.calls, grant.reset, None
            if grant.reset is not None:
                self._known, self._known_used = grant.reset, grant.used
        elif grant.retry_at is not None:
            self.ask_at = self.times.local(grant.retry_at)  # spent: at its reset
        else:
            self.ask_at = self.times.now() + self.pacing.poll  # another process is probing

    def to_fold(self, response: httpx.Response, window: float | None) -> RateLimitHeaders | None:
        """The headers of the answer to a call reserved for `window`, if they teach anything."""
        headers = RateLimitHeaders.of(response)
        if headers is None or headers.concurrency:
            return None
        known = self._known
        if window is None or known is None or headers.reset > known:
            return headers  # a probe's answer, or a window not heard of
        if response.status_code == 429:
            return headers
        if headers.reset == known and headers.limit - headers.remaining > self._known_used:
            return headers  # Okta counted more than the reservations we know of
        return None

    async def settle(self, window: float | None, fold: RateLimitHeaders | None, sent: bool) -> None:
        """After a call reserved for `window`: tell the budget what it must know."""
        if fold is not None:
            await self._fold(fold)
        elif window is None:
            # A probe that brought no window back (never sent, lost, no headers): let the next
            # asker, here or in another process, probe again now rather than after a timeout.
            try:
                await self.budget.abandon_probe(self.bucket)
            except BudgetUnavailable as error:
                logger.warning("could not give up a probe of Okta's window (%s)", error)
            self.ask_at = None
            self._changed()
        elif not sent and window == self.window:
            self.tickets += 1  # still good for its window: the next caller spends it

    async def _fold(self, headers: RateLimitHeaders) -> None:
        try:
            used = await self.budget.observe(self.bucket, headers, now=self.times.server_now())
        except BudgetUnavailable as error:
            # Reservations still hold; a probe's window not recorded is probed again later.
            logger.warning("could not record Okta's rate-limit answer (%s)", error)
            return
        if self._known is None or headers.reset >= self._known:
            self._known, self._known_used = headers.reset, used
        self.ask_at = None  # a new window may be open now: ask again at once
        self._changed()
