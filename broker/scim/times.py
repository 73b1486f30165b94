"""SCIM `meta` times: UTC with a `Z` (RFC 7643 §2.3.5, xsd:dateTime), whatever the database kept.

SQLite keeps no offset, so a stamp read back from it is naive; every stamp Latchkey writes is UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime


def scim_time(value: datetime) -> datetime:
    """The stamp as an aware UTC time (scim2-models writes those with a `Z`)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
