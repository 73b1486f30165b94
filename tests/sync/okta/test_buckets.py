"""Which of Okta's rate-limit buckets each call of sync counts in, and that the sandbox agrees."""

from __future__ import annotations

import pytest

from sandbox.org.clock import Clock
from sandbox.org.limits import DEFAULT_BUCKETS, RateLimiter
from sync.okta.buckets import WORKFORCE_BUCKETS, bucket_for


@pytest.mark.parametrize(
    ("method", "path", "bucket"),
    [
        ("POST", "/api/v1/apps", "apps"),
        ("GET", "/api/v1/apps", "apps"),
        ("GET", "/api/v1/apps/0oa1", "app"),
        ("PUT", "/api/v1/apps/0oa1", "app"),
        ("DELETE", "/api/v1/apps/0oa1", "app"),
        ("POST", "/api/v1/apps/0oa1/lifecycle/deactivate", "apps"),
        ("GET", "/api/v1/apps/0oa1/users", "apps"),
        ("POST", "/api/v1/apps/0oa1/users", "apps"),
        ("DELETE", "/api/v1/apps/0oa1/users/00u1", "apps"),
        ("PUT", "/api/v1/apps/0oa1/groups/00g1", "apps"),
        ("GET", "/api/v1/groups", "groups"),
        ("POST", "/api/v1/groups", "groups"),
        ("DELETE", "/api/v1/groups/00g1", "group"),
        ("GET", "/api/v1/groups/00g1", "group"),
        # Membership calls count with the groups, not apart (Okta's "Management rate limits").
        ("GET", "/api/v1/groups/00g1/users", "groups"),
        ("PUT", "/api/v1/groups/00g1/users/00u1", "groups"),
        ("DELETE", "/api/v1/groups/00g1/users/00u1", "groups"),
        ("GET", "/api/v1/users/00u1", "user"),
        ("POST", "/api/v1/users/00u1", "user_update"),
        ("GET", "/api/v1/users", "users"),
        ("POST", "/api/v1/users/00u1/lifecycle/deactivate", "api"),
        ("GET", "/api/v1/logs", "api"),
    ],
)
def test_each_call_counts_in_the_bucket_okta_counts_it_in(
    method: str, path: str, bucket: str
) -> None:
    assert bucket_for(method, path).name == bucket


def test_the_sandbox_counts_in_the_same_buckets_as_sync() -> None:
    # The sandbox may not import sync, so each keeps the table; they must not drift apart.
    sandbox = [(b.name, b.pattern, b.limit, b.methods) for b in DEFAULT_BUCKETS]
    ours = [(b.name, b.pattern, b.org_limit, b.methods) for b in WORKFORCE_BUCKETS]
    assert sandbox == ours


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
@pytest.mark.parametrize(
    "path",
    ["/api/v1/apps", "/api/v1/apps/0oa1/users/00u1", "/api/v1/groups/00g1/users", "/api/v1/users"],
)
def test_the_sandbox_picks_the_same_bucket_for_every_call(method: str, path: str) -> None:
    assert RateLimiter(Clock()).bucket_for(method, path).name == bucket_for(method, path).name
