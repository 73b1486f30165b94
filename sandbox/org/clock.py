"""The org's clock, which can run faster than the wall clock.

Okta's rate limits are counted per minute. A benchmark that wants to see an hour of Okta minutes
sets a time scale: with `scale=60` one Okta minute passes in one real second. Everything that is
time in the org's answers (the `Date` header, `X-Rate-Limit-Reset`, windows, injected latency,
eventual-consistency lag) reads this clock, so the headers stay consistent with each other: a
client that computes `reset - date` gets the number of *org* seconds to wait, and divides by the
scale it configured when it wants real seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from email.utils import formatdate


class Clock:
    def __init__(self, scale: float = 1.0, *, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._lock = threading.Lock()
        self._scale = 1.0
        self._anchor_wall = wall()
        self._anchor_org = self._anchor_wall
        self.set_scale(scale)

    @property
    def scale(self) -> float:
        return self._scale

    def set_scale(self, scale: float) -> None:
        """Change the speed from now on; org time stays continuous (it never jumps back)."""
        if scale <= 0:
            raise ValueError("the time scale must be positive")
        with self._lock:
            wall = self._wall()
            self._anchor_org = self._org_at(wall)
            self._anchor_wall = wall
            self._scale = float(scale)

    def now(self) -> float:
        """Org time in epoch seconds."""
        with self._lock:
            return self._org_at(self._wall())

    def real_seconds(self, org_seconds: float) -> float:
        """How long `org_seconds` of org time take on the wall clock."""
        return org_seconds / self._scale

    def age(self, then: datetime) -> float:
        """Org seconds since a wall-clock timestamp taken by the state (`state.now()`)."""
        return (self._wall() - then.timestamp()) * self._scale

    def http_date(self) -> str:
        """The `Date` header (RFC 9110 §5.6.7) for the current org time."""
        return formatdate(self.now(), usegmt=True)

    def _org_at(self, wall: float) -> float:
        return self._anchor_org + (wall - self._anchor_wall) * self._scale
