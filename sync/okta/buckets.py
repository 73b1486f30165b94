"""Okta's rate-limit buckets: which calls count together, and how many a minute the org gets.

Okta counts Management API calls per bucket, a URL pattern with a limit per minute for the whole
org (Workforce defaults below; DESIGN.md "Okta facts"). The buckets sync lives with:

- `apps`: everything under `/api/v1/apps*` (create, list, lifecycle, user and group
  assignments) shares about 100 a minute: the bottleneck of a first sync;
- `app`: exactly `/api/v1/apps/{id}` (GET, PUT, DELETE of one app), 500;
- `group`: exactly `/api/v1/groups/{id}`, 1000;
- `groups`: every other group call, membership included (`/api/v1/groups/{id}/users*`), 500:
  the bottleneck of the group strategy;
- `user`, `user_update`, `users`: the user endpoints.

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


# Most specific first: the first bucket that covers a call counts it. Workforce limits from
# https://developer.okta.com/docs/reference/rl-global-mgmt/ ("Management rate limits"). The
# sandbox keeps the same table in sandbox/org/limits.py (it may not import sync), and
# tests/sync/okta/test_buckets.py checks the two are equal, row by row.
WORKFORCE_BUCKETS: tuple[Bucket, ...] = (
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


def bucket_for(method: str, path: str, buckets: tuple[Bucket, ...] = WORKFORCE_BUCKETS) -> Bucket:
    for bucket in buckets:
        if bucket.covers(method, path):
            return bucket
    return buckets[-1]
