"""The Okta rate-limit budget that several sync workers on one API token share (PostgreSQL).

Okta counts an API token's calls per bucket and per window (`sync/okta/buckets.py`); every worker
process that uses the token spends from the same count. One row per (token, bucket) holds the
window as Okta last reported it and how many calls the workers reserved in it, so that together
they stay within the share (`sync/budget.py` reserves and folds Okta's headers back in).

The token is never stored: `token_key` is the SHA-256 of the Okta domain and the token (an API
token has ~240 random bits, so an unsalted hash names it without revealing it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from broker.db import Base, UtcDateTime
from broker.models import utcnow


class OktaRateBudget(Base):
    """One Okta rate-limit bucket of one API token: its current window and the calls reserved."""

    __tablename__ = "okta_rate_budgets"

    token_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(32), primary_key=True)
    # End of the latest window Okta reported (`X-Rate-Limit-Reset`, epoch seconds on Okta's
    # clock); never moves back. 0: none known yet.
    reset: Mapped[float] = mapped_column(Float, default=0.0)
    # Calls reserved in the window ending at `reset`; while a probe is out, in the next one.
    used: Mapped[int] = mapped_column(Integer, default=0)
    window_limit: Mapped[int | None] = mapped_column(Integer, default=None)  # X-Rate-Limit-Limit
    # A call is out to learn the window after `reset`; until this time (Okta's clock) nobody
    # else starts one, and nobody reserves against an unknown window.
    probe_until: Mapped[float | None] = mapped_column(Float, default=None)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
