"""List queries (RFC 7644 §3.4.2): the `eq` filters Okta sends, and paging.

Okta looks a user up with `filter=userName eq "…"` and a group with `filter=displayName eq "…"`
(and may use `externalId` or `id`). Anything else is refused with `invalidFilter` rather than
answered wrongly: an unfiltered answer to a filter Okta thinks we applied would make it link the
wrong user.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from broker.scim.errors import InvalidFilter, InvalidValue

# Enough for Okta's pages of 100; RFC 7644 §3.4.2.4 lets a server return fewer than asked.
MAX_PAGE = 200
_MAX_FILTER = 1024

# RFC 7644 §3.4.2.2: `attrPath SP "eq" SP compValue`, attribute names and operators are case
# insensitive; the value is a JSON string (ABNF `compValue` refers to RFC 7159 strings).
_EQ = re.compile(
    r'^\s*(?P<attr>[A-Za-z][\w.]*)\s+eq\s+(?P<value>"(?:[^"\\]|\\.)*")\s*$', re.IGNORECASE
)


@dataclass(frozen=True)
class Equals:
    """`<attribute> eq "<value>"`, with the attribute spelled as the resource's schema does."""

    attribute: str
    value: str


@dataclass(frozen=True)
class Page:
    start_index: int  # 1-based (RFC 7644 §3.4.2.4)
    count: int

    @property
    def offset(self) -> int:
        return self.start_index - 1


def parse_filter(text: str | None, attributes: tuple[str, ...]) -> Equals | None:
    """The filter, if any: `eq` on one of `attributes` (names matched case-insensitively)."""
    if text is None or not text.strip():
        return None
    if len(text) > _MAX_FILTER:
        raise InvalidFilter(f"The filter is longer than {_MAX_FILTER} characters.")
    match = _EQ.match(text)
    if match is None:
        raise InvalidFilter('Only filters of the form `attribute eq "value"` are supported.')
    wanted = match["attr"].casefold()
    attribute = next((a for a in attributes if a.casefold() == wanted), None)
    if attribute is None:
        raise InvalidFilter(f"Filtering is supported on {', '.join(attributes)} only.")
    try:
        value = json.loads(match["value"])
    except ValueError:
        raise InvalidFilter("The filter value is not a valid string.") from None
    return Equals(attribute, value)


def _integer(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw.strip())
    except ValueError:
        raise InvalidValue(f"{name} must be an integer.") from None


def parse_page(params: Mapping[str, str]) -> Page:
    """RFC 7644 §3.4.2.4: a startIndex below 1 means 1, a negative count means 0."""
    start = max(1, _integer(params, "startIndex", 1))
    count = min(MAX_PAGE, max(0, _integer(params, "count", MAX_PAGE)))
    return Page(start, count)


def list_response(resources: list[dict[str, object]], total: int, page: Page) -> dict[str, object]:
    """RFC 7644 §3.4.2: the counts are JSON numbers (Okta refuses strings)."""
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total,
        "startIndex": page.start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }
