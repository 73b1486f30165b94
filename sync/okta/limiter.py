"""One limiter per Okta bucket: spend the configured share of each, never more, and never a 429.

Before each call the limiter decides whether it may go now or must wait; after it, the answer's
`X-Rate-Limit-*` headers correct what the limiter believes (`headers.py`). Per bucket it keeps
the current window as Okta reported it: when it resets, the lowest `Remaining` seen and how many
calls this process sent in it. A call may go when

    sent < budget                      (our share: min(X-Rate-Limit-Limit, share * org limit))
    remaining - in flight > 0          (what Okta says is left, counting calls not answered yet)
    calls in flight < concurrency      (Okta allows 75 in flight per org: stay well under)

Before the first answer of a window nothing is known (another worker may share the token), so one
call goes alone and learns the window. Calls held back wait in line per bucket, in the order they
asked: only the first of the line watches the clock and the answers, and a granted call hands the
turn on (waking every waiter on every answer cost more CPU than the calls themselves).

Two limiters on one token (two workers) each see the other's calls only through `Remaining`:
near the end of a window both may spend the same last calls, and Okta refuses the excess with a
429. That 429 sets `remaining` to 0 and its retry waits for the reset, so they converge with a
few 429s a window at most (`tests/sync/okta/test_limiter.py`); with one limiter there are none.
Given a `SharedBudget` (`budget.py`; PostgreSQL, `sync/budget.py`), the limiter instead reserves
(`reservations.py`) every call from a count all the processes on the token share, the head of a
bucket's line asking
for as many calls as wait in it (one transaction for a batch), and gives each answer's headers
back when they teach something (a new window, more calls counted than reserved, a 429): the
window's budget then holds across processes, and the per-process window above is not used.

`Reset` is in epoch seconds on Okta's clock: it is turned into a local deadline through `Date`,
never through the local clock. `Date` has one-second resolution, so the limiter keeps the tightest
lower bound of Okta's clock it has seen: a wait computed from it may be late by a fraction of a
second, never early.

A 429 sets `remaining` to 0, so the next call waits for the reset; the client retries it a bounded
number of times (`LimiterSettings.rate_limit_retries`). A concurrency 429 (`Limit: 0`) holds every
call until its reset and lowers the cap below what was in flight.

Times are in "server seconds" (Okta's), turned into local seconds by `time_scale`: a sandbox whose
clock runs 60 times faster is driven with `time_scale=60`. The clock is injected, so tests wait in
virtual time.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Protocol

import anyio
import httpx

from sync.okta.buckets import WORKFORCE_BUCKETS, Bucket, bucket_for
from sync.okta.budget import SharedBudget
from sync.okta.headers import RateLimitHeaders, response_date
from sync.okta.reservations import Pacing, Reservations

_CALM_ANSWERS = 100  # answers without a concurrency 429 before the cap grows by one again
_RESERVE = "reserve"  # a verdict: ask the shared budget
# Between looks while another process learns a new window: half a second of Okta's clock, and
# never more than 50 ms.
_PROBE_POLL_SERVER, _PROBE_POLL_MAX = 0.5, 0.05
# `Date` has a resolution of one second: Okta's clock may be up to that far ahead of ours.
_DATE_RESOLUTION = 1.0
_MAX_MARGIN = 15.0


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic local seconds."""
        ...

    def wall(self) -> float:
        """Epoch seconds: stands in for `Date` when an answer carries none."""
        ...

    async def sleep_until(self, deadline: float) -> None:
        """Return once `now() >= deadline`."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    async def sleep_until(self, deadline: float) -> None:
        await anyio.sleep(max(0.0, deadline - self.now()))


@dataclass(frozen=True)
class LimiterSettings:
    share: float = 0.5  # of each bucket's org limit; Okta's default per API token
    concurrency: int = 10  # calls in flight, all buckets together (Okta: 75 per org)
    time_scale: float = 1.0  # server seconds per local second
    rate_limit_retries: int = 3  # after a 429, before `RateLimited` surfaces
    buckets: tuple[Bucket, ...] = WORKFORCE_BUCKETS
    # With a shared budget: local seconds a reserved call may take to reach Okta (reservations
    # of a window stop this long, plus `Date`'s second, before its reset), how long a probe of a
    # new window may stay unanswered before another process probes, and how many times a
    # reservation is tried again when the budget's store cannot be reached.
    send_margin: float = 0.1
    probe_timeout: float = 10.0
    budget_retries: int = 3

    def __post_init__(self) -> None:
        if not 0 < self.share <= 1:
            raise ValueError("share must be in (0, 1]")
        if self.concurrency < 1 or self.time_scale <= 0 or self.rate_limit_retries < 0:
            raise ValueError("concurrency >= 1, time_scale > 0 and rate_limit_retries >= 0")
        if self.send_margin < 0 or self.probe_timeout <= 0 or self.budget_retries < 0:
            raise ValueError("send_margin >= 0, probe_timeout > 0 and budget_retries >= 0")


@dataclass
class BucketStats:
    calls: int = 0  # requests sent (retries included): the cost to minimise
    throttled: int = 0  # 429 answers
    delayed: int = 0  # calls the limiter held back before sending
    waited: float = 0.0  # local seconds those calls waited, together


@dataclass
class _Window:
    """One rate-limit window of a bucket, as Okta reported it."""

    reset: float | None = None  # server epoch seconds; None: no answer in this window yet
    remaining: int | None = None  # the lowest X-Rate-Limit-Remaining seen in it
    sent: int = 0  # our calls that count in it


@dataclass
class _State:
    bucket: Bucket
    window: _Window = field(default_factory=_Window)
    limit: int | None = None  # the last X-Rate-Limit-Limit (it outlives a window)
    in_flight: int = 0
    queue: deque[anyio.Event] = field(default_factory=deque)  # callers waiting, first first
    metered: bool = True  # False once Okta answered a success without rate-limit headers
    stats: BucketStats = field(default_factory=BucketStats)
    reservations: Reservations | None = None  # with a shared budget


class Slot:
    """A granted call: hand it the answer so the limiter learns from its headers."""

    def __init__(self, limiter: Limiter, state: _State, window: float | None) -> None:
        self._limiter = limiter
        self._state = state
        # With a shared budget: the window the call's reservation counts in (None: a probe).
        self.window = window
        self.fold: RateLimitHeaders | None = None  # an answer the shared budget must hear of
        self.sent = True  # False: the caller gave up before sending (the reservation is unspent)

    @property
    def bucket(self) -> str:
        return self._state.bucket.name

    def observe(self, response: httpx.Response) -> None:
        self._limiter._observe(self._state, response)
        if self._state.reservations is not None:
            self.fold = self._state.reservations.to_fold(response, self.window)


class Limiter:
    def __init__(
        self,
        settings: LimiterSettings | None = None,
        *,
        clock: Clock | None = None,
        budget: SharedBudget | None = None,
    ):
        self.settings = settings or LimiterSettings()
        self.clock: Clock = clock or SystemClock()
        self.shared = budget
        self._states: dict[str, _State] = {}
        self._in_flight = 0
        self._max_in_flight = 0
        # Okta's concurrency limit is the org's, shared with other integrations: after a
        # concurrency 429 the cap drops below what was in flight, and creeps back on success.
        self._cap = self.settings.concurrency
        self._calm = 0  # answers since the cap last moved
        self._hold_until = 0.0  # local deadline of a concurrency 429
        # Lower bound of (server time - local time * scale), from every `Date` seen.
        self._offset: float | None = None
        self._changed = anyio.Event()

    # -- what callers use ---------------------------------------------------------------------

    def bucket_for(self, method: str, path: str) -> Bucket:
        return bucket_for(method, path, self.settings.buckets)

    @asynccontextmanager
    async def slot(self, bucket: Bucket) -> AsyncIterator[Slot]:
        """Wait until a call in `bucket` may go, count it, and release it when the block ends."""
        state = self._state(bucket)
        started = self.clock.now()
        if state.queue or self._decide(state, started) is not True:
            await self._queue(state)
            state.stats.delayed += 1
            state.stats.waited += self.clock.now() - started
        # `_decide` granted the call a reservation, if the bucket is metered.
        reserved = state.reservations if state.metered else None
        window = reserved.take() if reserved is not None else 0.0
        state.window.sent += 1
        state.in_flight += 1
        state.stats.calls += 1
        self._in_flight += 1
        self._max_in_flight = max(self._max_in_flight, self._in_flight)
        slot = Slot(self, state, window)
        try:
            yield slot
        finally:
            state.in_flight -= 1
            self._in_flight -= 1
            if not slot.sent:
                state.stats.calls -= 1  # not a call Okta saw
            self._notify()
            if reserved is not None:
                # Shielded: what the shared budget must learn is learnt even if the caller
                # is being cancelled (one short transaction).
                with anyio.CancelScope(shield=True):
                    await reserved.settle(slot.window, slot.fold, slot.sent)

    async def pause(self, server_seconds: float) -> None:
        """Wait `server_seconds` as Okta counts them (a backoff between retries)."""
        deadline = self.clock.now() + server_seconds / self.settings.time_scale
        await self.clock.sleep_until(deadline)

    def stats(self) -> dict[str, BucketStats]:
        """Per bucket: calls sent, 429s, calls held back and how long (for the benchmark)."""
        return {name: replace(state.stats) for name, state in self._states.items()}

    def budget(self, bucket: Bucket) -> int:
        """Calls per window this process allows itself in `bucket` (what it knows so far)."""
        share = max(1, math.floor(bucket.org_limit * self.settings.share))
        state = self._states.get(bucket.name)
        if state is None or state.limit is None:
            return share
        return min(share, state.limit)

    @property
    def max_in_flight(self) -> int:
        return self._max_in_flight

    # -- deciding -----------------------------------------------------------------------------

    def _state(self, bucket: Bucket) -> _State:
        state = self._states.get(bucket.name)
        if state is None:
            state = self._states[bucket.name] = _State(bucket)
            if self.shared is not None:
                state.reservations = Reservations(
                    self.shared, bucket.name, self._pacing(), _Times(self), self._notify
                )
        return state

    def _decide(self, state: _State, now: float) -> bool | float | str:
        """True: go now; a float: wait until that local deadline (or a change); False: a change;
        `_RESERVE`: ask the shared budget first."""
        if now < self._hold_until:
            return self._hold_until
        if self._in_flight >= self._cap:
            return False
        if not state.metered:
            return True
        if state.reservations is not None:
            verdict = state.reservations.verdict()
            return _RESERVE if verdict is None else verdict
        self._roll(state, now)
        window = state.window
        if window.remaining is None:
            # Nothing known of this window: one call alone learns it.
            return state.in_flight == 0
        available = min(self.budget(state.bucket) - window.sent, window.remaining - state.in_flight)
        if available > 0:
            return True
        assert window.reset is not None
        return self._local(window.reset)

    def _roll(self, state: _State, now: float) -> None:
        reset = state.window.reset
        # The tolerance absorbs rounding between `_local` and `_server_now`.
        if reset is not None and self._server_now(now) >= reset - 1e-6:
            # Calls still unanswered may be counted in the new window: count them there.
            state.window = _Window(sent=state.in_flight)

    async def _queue(self, state: _State) -> None:
        """Wait in line: only the first caller of a bucket watches the clock and the answers.

        Waking every waiter on every answer costs a wake-up per waiter per call (hundreds of
        accounts wait at a window's end); in line, an answer wakes one caller per bucket, and a
        granted caller hands the turn to the next one.
        """
        turn = anyio.Event()
        state.queue.append(turn)
        try:
            if state.queue[0] is not turn:
                await turn.wait()
            while True:
                verdict = self._decide(state, self.clock.now())
                if verdict is True:
                    return
                if verdict == _RESERVE:
                    assert state.reservations is not None
                    # For everyone waiting in line: one transaction for the batch.
                    wanted = max(1, len(state.queue))
                    await state.reservations.reserve(wanted, self.budget(state.bucket))
                    continue
                assert not isinstance(verdict, str)
                await self._wait(None if verdict is False else verdict)
        finally:
            head = state.queue[0] is turn
            state.queue.remove(turn)
            if head and state.queue:
                state.queue[0].set()

    async def _wait(self, deadline: float | None) -> None:
        """Until `deadline` (local) or until a call is answered, whichever comes first."""
        changed = self._changed
        if deadline is None:
            await changed.wait()
            return
        async with anyio.create_task_group() as group:

            async def until_deadline() -> None:
                await self.clock.sleep_until(deadline)
                group.cancel_scope.cancel()

            async def until_changed() -> None:
                await changed.wait()
                group.cancel_scope.cancel()

            group.start_soon(until_deadline)
            group.start_soon(until_changed)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    # -- a shared budget ----------------------------------------------------------------------

    def _pacing(self) -> Pacing:
        scale = self.settings.time_scale
        # Before a reset: `Date`'s second, and the time a reserved call takes to reach Okta; at
        # most a quarter of Okta's minute (a sandbox sped up a thousand times still gets most of
        # each window, at the risk of a call reaching it just after the reset).
        margin = min(_DATE_RESOLUTION + self.settings.send_margin * scale, _MAX_MARGIN)
        poll = min(_PROBE_POLL_MAX, _PROBE_POLL_SERVER / scale)
        return Pacing(
            margin, self.settings.probe_timeout * scale, poll, self.settings.budget_retries
        )

    # -- learning -----------------------------------------------------------------------------

    def _observe(self, state: _State, response: httpx.Response) -> None:
        now = self.clock.now()
        self._learn_clock(response, now)
        throttled = response.status_code == 429
        if throttled:
            state.stats.throttled += 1
        headers = RateLimitHeaders.of(response)
        if headers is None:
            if response.is_success:
                state.metered = False
            return
        if headers.concurrency and throttled:
            self._hold_until = max(self._hold_until, self._local(headers.reset))
            self._cap = max(1, min(self._cap, self._in_flight - 1))
            self._calm = 0
            return
        self._calm += 1
        if self._calm >= _CALM_ANSWERS and self._cap < self.settings.concurrency:
            self._cap += 1
            self._calm = 0
        state.metered = True
        state.limit = headers.limit
        self._roll(state, now)
        window = state.window
        if window.reset is None or headers.reset > window.reset:
            # The first answer of a new window: what is unanswered may count in it too.
            if window.reset is not None:
                window = state.window = _Window(sent=state.in_flight)
            window.reset = headers.reset
            window.remaining = headers.remaining
        elif headers.reset == window.reset:
            known = window.remaining
            window.remaining = headers.remaining if known is None else min(known, headers.remaining)
        else:
            return  # an answer from a window that is over
        if throttled:
            window.remaining = 0

    def _learn_clock(self, response: httpx.Response, now: float) -> None:
        date = response_date(response)
        if date is None:
            date = self.clock.wall()
        # `Date` was stamped before we read it, and truncated to the second: this is a lower
        # bound of the offset, and the largest one seen is the tightest.
        sample = date - now * self.settings.time_scale
        if self._offset is None or sample > self._offset:
            self._offset = sample

    def _server_now(self, now: float) -> float:
        if self._offset is None:
            return self.clock.wall()
        return self._offset + now * self.settings.time_scale

    def _local(self, server_time: float) -> float:
        """The local time at which Okta's clock reaches `server_time` (never before)."""
        now = self.clock.now()
        return now + (server_time - self._server_now(now)) / self.settings.time_scale


class _Times:
    """The limiter's clocks as its reservations read them."""

    def __init__(self, limiter: Limiter) -> None:
        self._limiter = limiter

    def now(self) -> float:
        return self._limiter.clock.now()

    def server_now(self) -> float:
        return self._limiter._server_now(self._limiter.clock.now())

    def local(self, server_time: float) -> float:
        return self._limiter._local(server_time)

    async def sleep_until(self, deadline: float) -> None:
        await self._limiter.clock.sleep_until(deadline)
