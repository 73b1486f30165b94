"""The admin JSON API, mounted at `/api/admin/v1`: the extended-access pages' actions for scripts.

endpoints.py    the routes: session cookie, X-CSRF-Token on writes, RBAC through broker.actions
wire.py         JSON out of snapshots, request bodies in
errors.py       one error class per wire code
openapi.py      the admin API's OpenAPI 3.1 description, and the broker's one document for both APIs
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from broker.admin_api.endpoints import routes
from broker.admin_api.openapi import MOUNT_PATH, admin_document, broker_document

OPENAPI_PATH = "/api/openapi.json"


async def _broker_openapi(_request: Request) -> Response:
    return JSONResponse(broker_document())


def openapi_routes() -> list[BaseRoute]:
    """`/api/openapi.json`: both APIs in one document."""
    return [Route(OPENAPI_PATH, _broker_openapi, methods=["GET"])]


__all__ = [
    "MOUNT_PATH",
    "OPENAPI_PATH",
    "admin_document",
    "broker_document",
    "openapi_routes",
    "routes",
]
