"""Okta's cursor pagination: `limit`, an opaque `after` and `link: <…>; rel="next"`.

The cursor is the id of the last item of the page and items are ordered by id, so a page stays
correct when items are created or deleted between calls. A full page always links to the next
one, even when nothing follows: the empty last page that Okta's clients must expect.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar
from urllib.parse import urlencode

from starlette.requests import Request

from sandbox.org.management.errors import validation_failed

T = TypeVar("T")


def page_limit(request: Request, *, default: int, maximum: int) -> int:
    raw = request.query_params.get("limit")
    if raw is None or raw == "-1":
        return default
    try:
        limit = int(raw)
    except ValueError:
        raise validation_failed("limit", "limit: The value must be a number.") from None
    if limit < 1:
        raise validation_failed("limit", "limit: The value must be positive.")
    return min(limit, maximum)


def paginate(
    items: Sequence[T], key: Callable[[T], str], after: str | None, limit: int
) -> tuple[list[T], str | None]:
    """One page of `items` after the cursor, and the cursor of the next page (None: last page)."""
    ordered = sorted(items, key=key)
    if after:
        ordered = [item for item in ordered if key(item) > after]
    page = ordered[:limit]
    next_after = key(page[-1]) if len(page) == limit else None
    return page, next_after


def link_headers(base_url: str, request: Request, next_after: str | None) -> list[str]:
    """The `link` values: `self` and, when there is a next page, `next` (RFC 8288).

    Okta sends one `link` header per relation, not one comma-joined header (its API reference,
    https://developer.okta.com/docs/api/#pagination, shows `link: <…>; rel="self"` and
    `link: <…>; rel="next"` on two lines): a client that reads only the first header sees
    `self` and never the next page.
    """
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
    url = f"{base_url}{request.url.path}"
    links = [f'<{_with_query(url, request.query_params.multi_items())}>; rel="self"']
    if next_after is not None:
        links.append(f'<{_with_query(url, [*query, ("after", next_after)])}>; rel="next"')
    return links


def _with_query(url: str, query: list[tuple[str, str]]) -> str:
    return f"{url}?{urlencode(query)}" if query else url
