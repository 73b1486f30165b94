"""Okta's rate limits, per bucket, per token share and in flight.

Okta counts Management API calls in buckets named after URL patterns; each bucket has a limit per
minute for the whole org, and one API token may use only a share of it (50 % by default). Every
answer carries `X-Rate-Limit-Limit`, `-Remaining` and `-Reset` (epoch seconds, to be read against
`Date`); over the limit it answers 429 `E0000047`. Independently, at most `concurrency` requests
may be in flight; over that, the 429 carries `Limit: 0` and `Remaining: 0` (how Okta's SDKs tell a
concurrency limit from a rate limit).

Windows are fixed and aligned to the org clock (`clock.py`), so the time scale applies to them.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field, replace

from sandbox.org.clock import Clock
from sandbox.org.context import OrgContext

_ANY_METHOD: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Bucket:
    """A bucket as Okta documents it: a name, the calls it covers and its limit per window."""

    name: str
    pattern: str  # a regular expression on the URL path
    limit: int
    methods: frozenset[str] = _ANY_METHOD  # empty: every method

    def covers(self, method: str, path: str) -> bool:
        if self.methods and method.upper() not in self.methods:
            return False
        return re.fullmatch(self.pattern, path) is not None


# Most specific first: the first bucket that covers a call counts it. Workforce limits from
# https://developer.okta.com/docs/reference/rl-global-mgmt/ ("Management rate limits"). The
# sandbox keeps the same table in sandbox/org/limits.py (it may not import sync), and
# tests/sync/okta/test_buckets.py checks the two are equal, row by row.
DEFAULT_BUCKETS: tuple[Bucket, ...] = (
    # "Get, update, or delete an app by ID: /api/v1/apps/{id}" only.
    Bucket("app", r"/api/v1/apps/[^/]+", 500),
    # "Calls to /api/v1/apps and all other endpoints of the form /api/v1/apps/*, including
    # /api/v1/apps/{id}/*": creating, listing, lifecycle and every user or group assignment.
    Bucket("apps", r"/api/v1/apps(/.*)?", 100),
    # "Get, update, or delete a group by ID: /api/v1/groups/{id} only".
    Bucket("group", r"/api/v1/groups/[^/]+", 1000),
    # "/api/v1/groups except /api/v1/groups/{id}": membership calls
    # (/api/v1/groups/{id}/users*) count here, not in a bucket of their own.
    Bucket("groups", r"/api/v1/groups(/.*)?", 500),
    # "Get a user by ID or login: only GET to /api/v1/users/{idOrLogin}".
    Bucket("user", r"/api/v1/users/[^/]+", 2000, frozenset({"GET", "HEAD"})),
    # "Update or delete a user by ID: only POST, PUT or DELETE to /api/v1/users/{id}".
    Bucket("user_update", r"/api/v1/users/[^/]+", 600, frozenset({"POST", "PUT", "DELETE"})),
    # "Create or list users: only GET or POST to /api/v1/users".
    Bucket("users", r"/api/v1/users", 600, frozenset({"GET", "HEAD", "POST"})),
    # "Most other API actions: /api/v1".
    Bucket("api", r"/api/v1/.*", 1200),
)


@dataclass(frozen=True)
class LimitSettings:
    enabled: bool = True
    token_share: float = 0.5  # the part of a bucket one API token may use
    concurrency: int = 75
    window_seconds: float = 60.0  # in org seconds
    limits: dict[str, int] = field(default_factory=dict)  # bucket name -> limit, overriding

    def limit_of(self, bucket: Bucket) -> int:
        return self.limits.get(bucket.name, bucket.limit)

    def token_limit_of(self, bucket: Bucket) -> int:
        return max(1, math.floor(self.limit_of(bucket) * self.token_share))


@dataclass(frozen=True)
class Quota:
    """What the headers say after a call: the token's limit, what is left and when it resets."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # epoch seconds, org clock

    def headers(self) -> dict[str, str]:
        return {
            "X-Rate-Limit-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(self.remaining),
            "X-Rate-Limit-Reset": str(self.reset),
        }


@dataclass
class _Window:
    start: float
    org_calls: int = 0
    token_calls: dict[str, int] = field(default_factory=dict)


@dataclass
class BucketCount:
    calls: int = 0
    throttled: int = 0


class RateLimiter:
    def __init__(
        self,
        clock: Clock,
        settings: LimitSettings | None = None,
        buckets: tuple[Bucket, ...] = DEFAULT_BUCKETS,
    ) -> None:
        self.clock = clock
        self.buckets = buckets
        self._settings = settings or LimitSettings()
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}
        self._counts: dict[str, BucketCount] = {}
        self._in_flight = 0

    @property
    def settings(self) -> LimitSettings:
        return self._settings

    def configure(self, settings: LimitSettings) -> None:
        """Apply new settings; the current windows start over."""
        with self._lock:
            self._settings = settings
            self._windows.clear()

    def bucket_for(self, method: str, path: str) -> Bucket:
        for bucket in self.buckets:
            if bucket.covers(method, path):
                return bucket
        return self.buckets[-1]

    def take(self, bucket: Bucket, token: str) -> Quota:
        """Count one call of `token` in `bucket`; `allowed` is False when it is over a limit."""
        with self._lock:
            window = self._window(bucket)
            settings = self._settings
            org_limit = settings.limit_of(bucket)
            token_limit = settings.token_limit_of(bucket)
            used = window.token_calls.get(token, 0)
            count = self._counts.setdefault(bucket.name, BucketCount())
            count.calls += 1
            allowed = not settings.enabled or (used < token_limit and window.org_calls < org_limit)
            if allowed:
                used += 1
                window.token_calls[token] = used
                window.org_calls += 1
            else:
                count.throttled += 1
            remaining = max(0, min(token_limit - used, org_limit - window.org_calls))
            return Quota(allowed, token_limit, remaining, self._reset(window))

    def peek(self, bucket: Bucket, token: str) -> Quota:
        """The quota without counting a call (for answers that are not counted, like a 401)."""
        with self._lock:
            window = self._window(bucket)
            token_limit = self._settings.token_limit_of(bucket)
            used = window.token_calls.get(token, 0)
            org_left = self._settings.limit_of(bucket) - window.org_calls
            remaining = max(0, min(token_limit - used, org_left))
            return Quota(True, token_limit, remaining, self._reset(window))

    def enter(self) -> Quota | None:
        """Admit one more request in flight, or answer the concurrency 429's quota."""
        with self._lock:
            if self._settings.enabled and self._in_flight >= self._settings.concurrency:
                return Quota(False, 0, 0, math.ceil(self.clock.now()) + 1)
            self._in_flight += 1
            return None

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def counts(self) -> dict[str, BucketCount]:
        with self._lock:
            return {name: replace(count) for name, count in self._counts.items()}

    def reset(self) -> None:
        """Forget counts and windows (the settings stay)."""
        with self._lock:
            self._counts.clear()
            self._windows.clear()

    def _window(self, bucket: Bucket) -> _Window:
        size = self._settings.window_seconds
        start = math.floor(self.clock.now() / size) * size
        window = self._windows.get(bucket.name)
        if window is None or window.start != start:
            window = self._windows[bucket.name] = _Window(start)
        return window

    def _reset(self, window: _Window) -> int:
        return math.ceil(window.start + self._settings.window_seconds)


def org_clock(ctx: OrgContext) -> Clock:
    clock = ctx.parts.get("clock")
    if not isinstance(clock, Clock):
        clock = ctx.parts["clock"] = Clock()
    return clock


def rate_limiter(ctx: OrgContext) -> RateLimiter:
    limiter = ctx.parts.get("limits")
    if not isinstance(limiter, RateLimiter):
        limiter = ctx.parts["limits"] = RateLimiter(org_clock(ctx))
    return limiter
