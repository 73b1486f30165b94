"""Who may reach the extension API at all: the allow-listed extension, sending bounded JSON.

A web page cannot set another origin's `Origin` header, and a cross-origin `application/json`
request needs a CORS preflight, which is refused for any origin but the extension's. So even a page
that holds the user's broker cookie gets nowhere: not a simple request, not a preflighted one, and
it cannot read our answer either (no `Access-Control-Allow-Origin` for it).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from broker.ext_api.errors import (
    ApiError,
    InvalidOrigin,
    RequestTooLarge,
    UnsupportedMediaType,
)
from broker.settings import Settings

MAX_BODY_BYTES = 16 * 1024  # a JWK or a grant fits many times over
_ALLOWED_HEADERS = "authorization, content-type, dpop"


def allowed_origin(request: Request, settings: Settings) -> str:
    """The request's `Origin` when it is one of `settings.extension_origins`, exactly."""
    origins = request.headers.getlist("origin")
    if len(origins) != 1 or origins[0] not in settings.extension_origins:
        raise InvalidOrigin("Only the Latchkey browser extension may call this API.")
    return origins[0]


def cors_headers(origin: str) -> dict[str, str]:
    # Credentials are allowed because registration is authorised by the broker session cookie.
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Vary": "Origin",
    }


def preflight_headers(origin: str) -> dict[str, str]:
    return {
        **cors_headers(origin),
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": _ALLOWED_HEADERS,
        "Access-Control-Max-Age": "600",
    }


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, read no further than `MAX_BODY_BYTES`."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType("Send the body as application/json.")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise RequestTooLarge(f"The body must be at most {MAX_BODY_BYTES} bytes.")
    body = bytearray()
    async for chunk in request.stream():  # a chunked body has no Content-Length to trust
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise RequestTooLarge(f"The body must be at most {MAX_BODY_BYTES} bytes.")
    try:
        value = json.loads(bytes(body))
    except ValueError:
        raise ApiError("The body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise ApiError("The body must be a JSON object.")
    return value


def string_field(body: dict[str, Any], name: str, *, max_chars: int = 256) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= max_chars:
        raise ApiError(f"`{name}` must be a string of 1-{max_chars} characters.")
    return value
