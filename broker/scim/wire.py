"""The SCIM wire: bearer-token auth, `application/scim+json` bodies with a size cap, and answers.

RFC 7644 §3.1: requests and responses are `application/scim+json`; we also take
`application/json`, which some clients send. §2: the client authenticates with a bearer token
(RFC 6750 §2.1), compared here in constant time so its value cannot be learned by timing.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from broker.scim.errors import (
    InvalidSyntax,
    PayloadTooLarge,
    ScimError,
    Unauthorized,
    UnsupportedMedia,
)
from broker.settings import Secret

SCIM_JSON = "application/scim+json"
_ACCEPTED_TYPES = frozenset({SCIM_JSON, "application/json"})
# Far above a Group PUT with thousands of members; far below what could exhaust memory.
MAX_BODY_BYTES = 1024 * 1024

Handler = Callable[[Request], Awaitable[Response]]


def scim_response(
    body: Mapping[str, Any] | None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    return Response(
        content,
        status_code=status_code,
        headers=dict(headers or {}),
        media_type=SCIM_JSON if body is not None else None,
    )


def error_response(error: ScimError) -> Response:
    return scim_response(error.body(), error.status, error.headers())


def check_token(request: Request, expected: Secret | None) -> None:
    """RFC 6750 §2.1: `Authorization: Bearer <token>`; no token configured means no access."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if expected is None:
        raise Unauthorized("SCIM provisioning is not configured on this broker.")
    if scheme.lower() != "bearer" or not given.strip():
        raise Unauthorized("Authenticate with a bearer token.")
    if not hmac.compare_digest(given.strip().encode(), expected.reveal().encode()):
        raise Unauthorized("The bearer token is not valid.")


async def read_json(request: Request) -> dict[str, Any]:
    """The request's JSON object, refused before parsing when too large or not JSON."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in _ACCEPTED_TYPES:
        raise UnsupportedMedia(f"Send the body as {SCIM_JSON}.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The body is larger than {MAX_BODY_BYTES} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"The body is larger than {MAX_BODY_BYTES} bytes.")
        chunks.append(chunk)
    try:
        data = json.loads(b"".join(chunks))
    except (ValueError, UnicodeDecodeError):
        raise InvalidSyntax("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise InvalidSyntax("The body must be a JSON object.")
    return data


def guarded(token: Callable[[], Secret | None], handler: Handler) -> Handler:
    """Authenticate, run the handler, and answer any `ScimError` as an RFC 7644 §3.12 body."""

    async def endpoint(request: Request) -> Response:
        try:
            check_token(request, token())
            return await handler(request)
        except ScimError as exc:
            return error_response(exc)

    return endpoint
