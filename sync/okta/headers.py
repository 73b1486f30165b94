"""Okta's rate-limit headers and `Date`, read from one answer.

Okta stamps every Management API answer with `X-Rate-Limit-Limit` (the ceiling that applies to
this call: the token's share of its bucket), `X-Rate-Limit-Remaining` (calls left in the
current window) and `X-Rate-Limit-Reset` (when the window ends, in epoch seconds on Okta's
clock). The reset is only meaningful against Okta's own `Date` (RFC 9110 §6.6.1), never against
the local clock, which may be off by minutes (or, against a time-scaled sandbox, by hours).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx


@dataclass(frozen=True)
class RateLimitHeaders:
    limit: int
    remaining: int
    reset: float  # epoch seconds, Okta's clock

    @property
    def concurrency(self) -> bool:
        """A 429 of the concurrency limit (Okta sends `Limit: 0`), not of a bucket."""
        return self.limit == 0

    @classmethod
    def of(cls, response: httpx.Response) -> RateLimitHeaders | None:
        headers = response.headers
        try:
            return cls(
                limit=int(headers["X-Rate-Limit-Limit"]),
                remaining=int(headers["X-Rate-Limit-Remaining"]),
                reset=float(headers["X-Rate-Limit-Reset"]),
            )
        except (KeyError, ValueError):
            return None


def response_date(response: httpx.Response) -> float | None:
    """`Date` in epoch seconds, or None when absent or malformed."""
    raw = response.headers.get("Date")
    if not raw:
        return None
    try:
        return parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
