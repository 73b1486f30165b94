"""An async client of Okta's Management API for sync: the calls, their limits and their errors.

`client.OktaClient` makes the calls; `limiter.Limiter` spends each rate-limit bucket's share
(`buckets`), alone or from a budget every process on the token shares (`budget`,
`reservations`); `auth` holds the API token (`SSWS`) or OAuth service app (`ServiceAppAuth`);
`errors` is the one error tree; `models` the values read back; `bodies` the request bodies.
"""

from __future__ import annotations

from sync.okta.auth import SSWS, ServiceAppAuth
from sync.okta.buckets import WORKFORCE_BUCKETS, Bucket
from sync.okta.client import OktaClient
from sync.okta.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NotFound,
    OktaError,
    OktaTimeout,
    PermanentError,
    RateLimited,
    ServerError,
    TemporaryError,
    TransportError,
    error_from_response,
)
from sync.okta.limiter import BucketStats, Limiter, LimiterSettings
from sync.okta.models import OktaApp, OktaGroup

__all__ = [
    "SSWS",
    "WORKFORCE_BUCKETS",
    "BadRequest",
    "Bucket",
    "BucketStats",
    "Conflict",
    "Forbidden",
    "InvalidToken",
    "Limiter",
    "LimiterSettings",
    "NotFound",
    "OktaApp",
    "OktaClient",
    "OktaError",
    "OktaGroup",
    "OktaTimeout",
    "PermanentError",
    "RateLimited",
    "ServerError",
    "ServiceAppAuth",
    "TemporaryError",
    "TransportError",
    "error_from_response",
]
