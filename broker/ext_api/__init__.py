"""The API the browser extension calls, mounted at `/api/ext/v1` (DESIGN.md, "Security model").

guard.py        only the extension's origin, JSON, bounded bodies
proof.py        the DPoP-style proof JWT (RFC 9449) and key thumbprints (RFC 7638)
credentials.py  register, authenticate, revoke extension credentials
endpoints.py    the routes; redeeming a grant and fetching a code call `broker.actions.launch`
openapi.py      the OpenAPI 3.1 description
errors.py       one error class per wire code
"""

from __future__ import annotations

from broker.ext_api.endpoints import MOUNT_PATH, routes
from broker.ext_api.openapi import openapi_document

__all__ = ["MOUNT_PATH", "openapi_document", "routes"]
