"""Which of Okta's rate-limit buckets each call of sync counts in."""

from __future__ import annotations

import pytest

from sync.okta.buckets import bucket_for


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
        ("GET", "/api/v1/groups/00g1/users", "group_members"),
        ("PUT", "/api/v1/groups/00g1/users/00u1", "group_members"),
        ("GET", "/api/v1/users/00u1", "user"),
        ("GET", "/api/v1/users", "users"),
        ("GET", "/api/v1/logs", "api"),
    ],
)
def test_each_call_counts_in_the_bucket_okta_counts_it_in(
    method: str, path: str, bucket: str
) -> None:
    assert bucket_for(method, path).name == bucket
