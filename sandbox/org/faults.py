"""Faults injected on purpose: errors, latency, 429 bursts and eventual consistency.

A `Fault` matches calls by method and a glob on the path (`/api/v1/apps/*/groups/*`); each matching
call waits `latency` org seconds and then, with probability `rate`, fails with `status` (a burst
stops after `remaining` failures). Okta's search and list results are eventually consistent:
`Consistency.list_lag` hides what was created less than that many org seconds ago from lists and
searches, `get_lag` makes a just-created app or group answer 404 for that long, and
`delete_lag` makes the delete of an app deactivated less than that long ago still answer 403
`E0000056`. All are off by default and turned on by fault tests (DESIGN.md "Okta facts"; a
group's read-after-create 404 is okta/terraform-provider-okta#647).
"""

from __future__ import annotations

import fnmatch
import random
import secrets
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime

from sandbox.org.clock import Clock
from sandbox.org.context import OrgContext
from sandbox.org.limits import org_clock


@dataclass(frozen=True)
class Fault:
    path: str  # glob on the URL path
    method: str = "*"
    status: int | None = 500  # None: latency only
    rate: float = 1.0
    latency: float = 0.0  # org seconds
    remaining: int | None = None  # failures left in a burst; None: unlimited
    id: str = field(default_factory=lambda: "flt" + secrets.token_hex(6))

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and fnmatch.fnmatchcase(path, self.path)


@dataclass(frozen=True)
class Consistency:
    list_lag: float = 0.0  # org seconds a new object stays out of lists and searches
    get_lag: float = 0.0  # org seconds a new app or group answers 404
    delete_lag: float = 0.0  # org seconds a just-deactivated app still refuses its delete


@dataclass(frozen=True)
class Outcome:
    """What the faults decide for one call: wait this long (org seconds), then fail or not."""

    latency: float = 0.0
    status: int | None = None


class FaultInjector:
    def __init__(self, clock: Clock, seed: int = 0) -> None:
        self.clock = clock
        self.consistency = Consistency()
        self._faults: list[Fault] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            kept = [f for f in self._faults if f.id != fault_id]
            removed = len(kept) != len(self._faults)
            self._faults = kept
            return removed

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self.consistency = Consistency()

    def faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def decide(self, method: str, path: str) -> Outcome:
        latency = 0.0
        status: int | None = None
        with self._lock:
            for index, fault in enumerate(self._faults):
                if not fault.matches(method, path):
                    continue
                latency += fault.latency
                if status is not None or fault.status is None:
                    continue
                if fault.remaining == 0 or self._random.random() >= fault.rate:
                    continue
                status = fault.status
                if fault.remaining is not None:
                    self._faults[index] = replace(fault, remaining=fault.remaining - 1)
        return Outcome(latency, status)

    def listed(self, created: datetime) -> bool:
        """Whether an object created (or assigned) at `created` shows in lists and searches yet."""
        lag = self.consistency.list_lag
        return lag <= 0 or self.clock.age(created) >= lag

    def gettable(self, created: datetime) -> bool:
        lag = self.consistency.get_lag
        return lag <= 0 or self.clock.age(created) >= lag

    def deletable(self, deactivated: datetime | None) -> bool:
        """Whether Okta has caught up with the deactivation made at `deactivated`."""
        lag = self.consistency.delete_lag
        return lag <= 0 or deactivated is None or self.clock.age(deactivated) >= lag


def fault_injector(ctx: OrgContext) -> FaultInjector:
    injector = ctx.parts.get("faults")
    if not isinstance(injector, FaultInjector):
        injector = ctx.parts["faults"] = FaultInjector(org_clock(ctx))
    return injector
