"""Okta's cursor pagination: follow `Link: <…>; rel="next"` (RFC 8288) verbatim.

Okta's `next` URL carries an opaque `after` cursor (and sometimes other state): a client never
builds one itself. A full last page still links to a next page, which comes back empty; a page
without a `next` link is the last.
"""

from __future__ import annotations

import httpx

from sync.okta.errors import PermanentError


def next_link(response: httpx.Response, base_url: httpx.URL) -> str | None:
    """The `next` URL of a page, or None on the last page.

    The URL is followed only on the org's own origin: the client sends its credentials with it.
    """
    url = response.links.get("next", {}).get("url")
    if not url:
        return None
    target = httpx.URL(url)
    if (target.scheme, target.host, target.port) != (base_url.scheme, base_url.host, base_url.port):
        raise PermanentError(
            response.status_code, None, f"Okta linked the next page to another origin: {url}"
        )
    return url
