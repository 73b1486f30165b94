"""Reading request bodies and writing list answers the way Okta does."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse

from sandbox.org.management.errors import malformed_body
from sandbox.org.management.pagination import link_headers, page_limit, paginate

T = TypeVar("T")


async def read_json(request: Request, *, required: bool = True) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip() and not required:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise malformed_body() from None
    if not isinstance(body, dict):
        raise malformed_body()
    return body


def listing(
    base_url: str,
    request: Request,
    items: Sequence[T],
    *,
    key: Callable[[T], str],
    shape: Callable[[T], dict[str, Any]],
    default_limit: int,
    max_limit: int,
) -> JSONResponse:
    limit = page_limit(request, default=default_limit, maximum=max_limit)
    page, next_after = paginate(items, key, request.query_params.get("after"), limit)
    response = JSONResponse([shape(item) for item in page])
    for link in link_headers(base_url, request, next_after):
        response.headers.append("link", link)
    return response
