"""`/tokens`: a member's personal API tokens over the admin API (docs/admin.md, "API tokens").

    GET    /tokens              the caller's tokens (never the token text)
    POST   /tokens {"name"}     a new token, shown once in `token` — with the session only
    DELETE /tokens/{token_id}   revoke one of the caller's tokens (a token may revoke itself)

Creating a token needs the signed-in session (and its CSRF token), never a bearer token: a
token that leaks must not be able to mint more tokens that outlive its own revocation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from broker.actions import tokens
from broker.admin_api import wire
from broker.admin_api.auth import caller_of
from broker.admin_api.errors import AdminError, PermissionDenied
from broker.context import BrokerContext
from broker.models import Member

Result = tuple[int, dict[str, Any]]


def _ctx(request: Request) -> BrokerContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, BrokerContext)
    return ctx


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def token_json(row: tokens.TokenRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "created_at": _time(row.created_at),
        "last_used_at": _time(row.last_used_at),
        "revoked_at": _time(row.revoked_at),
        "active": row.active,
    }


async def _list(request: Request, member: Member) -> Result:
    rows = await run_in_threadpool(tokens.listing, _ctx(request), member.id)
    return 200, {"tokens": [token_json(row) for row in rows]}


async def _create(request: Request, member: Member) -> Result:
    if caller_of(request).bearer:
        raise PermissionDenied(
            "Create API tokens with your signed-in session, not with another token."
        )
    body = await wire.json_object(request)
    name = body.get("name")
    if set(body) - {"name"} or not isinstance(name, str):
        raise AdminError('The body is {"name": "<what the token is for>"}.', field="name")
    issued = await run_in_threadpool(tokens.create, _ctx(request), member.id, name)
    return 201, {**token_json(issued.row), "token": issued.token}


async def _revoke(request: Request, member: Member) -> Result:
    token_id = request.path_params["token_id"]
    row = await run_in_threadpool(tokens.revoke, _ctx(request), member.id, token_id)
    return 200, token_json(row)


def routes(route: Callable[..., Route]) -> list[Route]:
    return [
        route("/tokens", GET=_list, POST=_create),
        route("/tokens/{token_id}", DELETE=_revoke),
    ]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS: dict[str, Any] = {
    "AdminApiToken": {
        "type": "object",
        "required": ["id", "name", "created_at", "last_used_at", "revoked_at", "active"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "last_used_at": {"type": ["string", "null"], "format": "date-time"},
            "revoked_at": {"type": ["string", "null"], "format": "date-time"},
            "active": {"type": "boolean"},
        },
    },
    "AdminApiTokenIssued": {
        "allOf": [
            _ref("AdminApiToken"),
            {
                "type": "object",
                "required": ["token"],
                "properties": {
                    "token": {
                        "type": "string",
                        "pattern": "^lk_",
                        "description": "Shown once, in this answer; only its hash is kept.",
                    }
                },
            },
        ]
    },
    "AdminApiTokens": {
        "type": "object",
        "required": ["tokens"],
        "properties": {"tokens": {"type": "array", "items": _ref("AdminApiToken")}},
    },
}


def paths(op: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """This family's OpenAPI paths, built with the document's own operation helper."""
    create = op(
        "Create a personal API token (session only; the token is shown once)",
        (201, "AdminApiTokenIssued", "Created; `token` is in this answer only."),
        (400, 401, 403, 413, 415),
        write=True,
        body={
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 100}},
        },
    )
    create["security"] = [{"brokerSession": []}]
    revoke = op(
        "Revoke one of your API tokens",
        (200, "AdminApiToken", "Revoked (revoking twice is not an error)."),
        (401, 403, 404),
        write=True,
    )
    revoke["parameters"].insert(
        0, {"name": "token_id", "in": "path", "required": True, "schema": {"type": "string"}}
    )
    return {
        "/tokens": {
            "get": op(
                "Your API tokens (never their text)", (200, "AdminApiTokens", "Tokens."), (401, 403)
            ),
            "post": create,
        },
        "/tokens/{token_id}": {"delete": revoke},
    }
