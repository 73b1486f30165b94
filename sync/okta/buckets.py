"""Okta's rate-limit buckets: which calls count together, and how many a minute the org gets.

Okta counts Management API calls per bucket, a URL pattern with a limit per minute for the whole
org (Workforce defaults below; DESIGN.md "Okta facts"). The buckets sync lives with:

- `apps`: everything under `/api/v1/apps*` (create, list, lifecycle, user and group
  assignments) shares about 100 a minute: the bottleneck of a first sync;
- `app`: exactly `/api/v1/apps/{id}` (GET, PUT, DELETE of one app), 500;
- `groups`, `group`, `group_members`: the group endpoints, separate and larger;
- `user`, `users`: the user endpoints.

A local bucket must match Okta's: two local buckets for one Okta bucket would each spend the
whole share. An org with other limits passes its own table to the limiter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ANY_METHOD: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Bucket:
    name: str
    pattern: str  # a regular expression matched against the whole URL path
    org_limit: int  # calls per minute for the whole org
    methods: frozenset[str] = _ANY_METHOD  # empty: every method

    def covers(self, method: str, path: str) -> bool:
        if self.methods and method.upper() not in self.methods:
            return False
        return re.fullmatch(self.pattern, path) is not None


# Most specific first: the first bucket that covers a call counts it.
WORKFORCE_BUCKETS: tuple[Bucket, ...] = (
    Bucket("app", r"/api/v1/apps/[^/]+", 500),
    Bucket("apps", r"/api/v1/apps(/.*)?", 100),
    Bucket("groups", r"/api/v1/groups", 500),
    Bucket("group", r"/api/v1/groups/[^/]+", 1000),
    Bucket("group_members", r"/api/v1/groups/.+", 1000),
    Bucket("user", r"/api/v1/users/[^/]+", 2000, frozenset({"GET", "HEAD"})),
    Bucket("users", r"/api/v1/users(/.*)?", 600),
    Bucket("api", r"/.*", 1200),
)


def bucket_for(method: str, path: str, buckets: tuple[Bucket, ...] = WORKFORCE_BUCKETS) -> Bucket:
    for bucket in buckets:
        if bucket.covers(method, path):
            return bucket
    return buckets[-1]
