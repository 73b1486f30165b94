"""`/collections…` of the admin API: the collection pages' actions for scripts, and their part of
the OpenAPI document (`PATHS`, `SCHEMAS`, merged by `openapi.py`).

    GET    /collections                                  the collections the caller can see
    POST   /collections                                  {name, parent_id?} → 201
    GET    /collections/{id}                             accounts (each with its Okta state),
                                                         sub-collections, what the caller may do
    PATCH  /collections/{id}                             {name?, parent_id?: id | null (top)}
    DELETE /collections/{id}                             the accounts stay, out of it
    PUT    /collections/{id}/accounts/{account_id}       put the account in
    DELETE /collections/{id}/accounts/{account_id}       take it out (it stays in Latchkey)
    POST   /collections/{id}/extension                   Extend collection → 201
    DELETE /collections/{id}/extension                   Remove from Okta → 202
    POST   /collections/{id}/extension/sync              Sync collection manually → 202

Access is decided in `broker.actions.collections`; this module parses and writes JSON only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from broker.actions import collections as actions
from broker.actions.collection_views import CollectionRow, CollectionSnapshot
from broker.admin_api import wire
from broker.admin_api.errors import AdminError
from broker.admin_api.vault_openapi import ERROR, TIME, op, path_param, ref
from broker.context import BrokerContext
from broker.models import Member

Result = tuple[int, dict[str, Any]]
Handler = Callable[[Request, Member], Awaitable[Result]]
RouteMaker = Callable[..., Route]


def _ctx(request: Request) -> BrokerContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, BrokerContext)
    return ctx


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def row_json(row: CollectionRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "parent_id": row.parent_id,
        "depth": row.depth,
        "role": row.role.value,
        "accounts": row.accounts,
        "extended": row.extended,
    }


def collection_json(c: CollectionSnapshot) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "parent_id": c.parent_id,
        "role": c.role.value,
        "okta": None
        if c.extension is None
        else {
            "extended_at": _time(c.extension.extended_at),
            "extended_by": c.extension.extended_by,
        },
        "extended_through": None if c.extended_above is None else c.extended_above.id,
        "accounts": [
            {
                "id": a.id,
                "name": a.name,
                "app_name": a.app_name,
                "login_origin": a.login_origin,
                "sync_state": None if a.state is None else a.state.value,
                "through_collection": a.through_collection,
                "last_error": a.last_error,
            }
            for a in c.accounts
        ],
        "collections": [{"id": r.id, "name": r.name} for r in c.children],
        "accounts_beneath": c.accounts_beneath,
        "not_in_okta": c.not_in_okta,
        "allowed": {
            "manage": c.can_manage,
            "extend": c.can_extend,
            "remove_from_okta": c.can_remove_from_okta,
        },
    }


def _string(body: dict[str, Any], name: str, *, required: bool) -> str | None:
    if name not in body:
        if required:
            raise AdminError(f"{name} is required.", field=name)
        return None
    value = body[name]
    if not isinstance(value, str):
        raise AdminError(f"{name} must be a string.", field=name)
    return value


def _only(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise AdminError(f"Unknown field: {unknown[0]}.", field=unknown[0])


async def _snapshot(request: Request, member: Member, collection_id: str) -> dict[str, Any]:
    found = await run_in_threadpool(actions.collection, _ctx(request), member.id, collection_id)
    return collection_json(found)


async def _list(request: Request, member: Member) -> Result:
    rows = await run_in_threadpool(actions.listing, _ctx(request), member.id)
    return 200, {"collections": [row_json(r) for r in rows]}


async def _create(request: Request, member: Member) -> Result:
    body = await wire.json_object(request)
    _only(body, {"name", "parent_id"})
    name = _string(body, "name", required=True) or ""
    parent = body.get("parent_id")
    if parent is not None and not isinstance(parent, str):
        raise AdminError("parent_id must be a string or null.", field="parent_id")
    made = await run_in_threadpool(actions.create, _ctx(request), member.id, name, parent)
    return 201, await _snapshot(request, member, made)


async def _get(request: Request, member: Member) -> Result:
    return 200, await _snapshot(request, member, request.path_params["collection_id"])


async def _patch(request: Request, member: Member) -> Result:
    cid = request.path_params["collection_id"]
    body = await wire.json_object(request)
    _only(body, {"name", "parent_id"})
    if not body:
        raise AdminError("Give name, parent_id or both.")
    name = _string(body, "name", required=False)
    if "parent_id" in body and body["parent_id"] is not None:
        _string(body, "parent_id", required=True)
    move_to = "parent_id" in body
    parent_id = body.get("parent_id")
    await run_in_threadpool(
        lambda: actions.change(
            _ctx(request), member.id, cid, name=name, move_to=move_to, parent_id=parent_id
        )
    )
    return 200, await _snapshot(request, member, cid)


async def _delete(request: Request, member: Member) -> Result:
    gone = await run_in_threadpool(
        actions.delete, _ctx(request), member.id, request.path_params["collection_id"]
    )
    return 200, {"deleted": gone.name, "accounts": gone.accounts, "adopted": gone.adopted}


async def _put_account(request: Request, member: Member) -> Result:
    cid, aid = request.path_params["collection_id"], request.path_params["account_id"]
    extended = await run_in_threadpool(actions.add_account, _ctx(request), member.id, cid, aid)
    return 200, {"extended_to_okta": extended, "collection": await _snapshot(request, member, cid)}


async def _delete_account(request: Request, member: Member) -> Result:
    cid, aid = request.path_params["collection_id"], request.path_params["account_id"]
    adopted = await run_in_threadpool(actions.remove_account, _ctx(request), member.id, cid, aid)
    return 200, {"adopted": adopted, "collection": await _snapshot(request, member, cid)}


async def _extend(request: Request, member: Member) -> Result:
    cid = request.path_params["collection_id"]
    n = await run_in_threadpool(actions.extend, _ctx(request), member.id, cid)
    return 201, {"extended": n, "collection": await _snapshot(request, member, cid)}


async def _remove(request: Request, member: Member) -> Result:
    cid = request.path_params["collection_id"]
    removal = await run_in_threadpool(actions.remove_from_okta, _ctx(request), member.id, cid)
    return 202, {"removing": removal.removing, "kept": removal.kept}


async def _sync(request: Request, member: Member) -> Result:
    cid = request.path_params["collection_id"]
    n = await run_in_threadpool(actions.sync, _ctx(request), member.id, cid)
    return 202, {"queued": n}


def routes(route: RouteMaker) -> list[Route]:
    """The routes, made by the admin API's `route` (its authentication and error mapping)."""
    one = "/collections/{collection_id}"
    return [
        route("/collections", GET=_list, POST=_create),
        route(one, GET=_get, PATCH=_patch, DELETE=_delete),
        route(one + "/accounts/{account_id}", PUT=_put_account, DELETE=_delete_account),
        route(one + "/extension", POST=_extend, DELETE=_remove),
        route(one + "/extension/sync", POST=_sync),
    ]


# -- OpenAPI ------------------------------------------------------------------------------------

_CID = path_param("collection_id")
_AID = path_param("account_id")
_STATE = {"type": ["string", "null"], "enum": ["pending", "synced", "failed", "removing", None]}

SCHEMAS: dict[str, Any] = {
    "AdminCollectionRow": {
        "type": "object",
        "required": ["id", "name", "parent_id", "depth", "role", "accounts", "extended"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "parent_id": {"type": ["string", "null"]},
            "depth": {"type": "integer", "minimum": 0, "description": "0: shown at the top."},
            "role": {"type": "string", "enum": ["owner", "collaborator"]},
            "accounts": {"type": "integer", "minimum": 0, "description": "Held directly."},
            "extended": {"type": "boolean"},
        },
    },
    "AdminCollections": {
        "type": "object",
        "required": ["collections"],
        "properties": {"collections": {"type": "array", "items": ref("AdminCollectionRow")}},
    },
    "AdminCollection": {
        "type": "object",
        "required": [
            "id",
            "name",
            "parent_id",
            "role",
            "okta",
            "extended_through",
            "accounts",
            "collections",
            "accounts_beneath",
            "not_in_okta",
            "allowed",
        ],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "parent_id": {"type": ["string", "null"]},
            "role": {"type": "string", "enum": ["owner", "collaborator"]},
            "okta": {
                "description": "null: this collection itself is not extended.",
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "required": ["extended_at", "extended_by"],
                        "properties": {
                            "extended_at": TIME,
                            "extended_by": {"type": ["string", "null"]},
                        },
                    },
                ],
            },
            "extended_through": {
                "type": ["string", "null"],
                "description": "An extended collection above this one, if any.",
            },
            "accounts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "id",
                        "name",
                        "app_name",
                        "login_origin",
                        "sync_state",
                        "through_collection",
                        "last_error",
                    ],
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "app_name": {"type": "string"},
                        "login_origin": {"type": "string"},
                        "sync_state": _STATE,
                        "through_collection": {"type": "boolean"},
                        "last_error": {"type": ["string", "null"]},
                    },
                },
            },
            "collections": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                },
            },
            "accounts_beneath": {"type": "integer", "minimum": 0},
            "not_in_okta": {"type": "integer", "minimum": 0},
            "allowed": {
                "type": "object",
                "required": ["manage", "extend", "remove_from_okta"],
                "properties": {
                    "manage": {"type": "boolean"},
                    "extend": {"type": "boolean"},
                    "remove_from_okta": {"type": "boolean"},
                },
            },
        },
    },
    "AdminCollectionChange": {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "parent_id": {
                "type": ["string", "null"],
                "description": "null: a top collection. Never the collection itself or one "
                "beneath it.",
            },
        },
    },
    "AdminCollectionNew": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "parent_id": {"type": ["string", "null"]},
        },
    },
    "AdminCollectionDeleted": {
        "type": "object",
        "required": ["deleted", "accounts", "adopted"],
        "properties": {
            "deleted": {"type": "string", "description": "The collection's name."},
            "accounts": {"type": "integer", "description": "Accounts that were in it: they stay."},
            "adopted": {
                "type": "integer",
                "description": "Of those, how many the caller now owns directly (nobody else "
                "could run them).",
            },
        },
    },
    "AdminCollectionAccount": {
        "type": "object",
        "required": ["collection"],
        "properties": {
            "extended_to_okta": {"type": "boolean", "description": "Extended with the collection."},
            "adopted": {"type": "boolean", "description": "The caller became its direct Owner."},
            "collection": ref("AdminCollection"),
        },
    },
    "AdminCollectionExtended": {
        "type": "object",
        "required": ["extended", "collection"],
        "properties": {
            "extended": {"type": "integer", "description": "Accounts newly extended."},
            "collection": ref("AdminCollection"),
        },
    },
    "AdminCollectionRemoval": {
        "type": "object",
        "required": ["removing", "kept"],
        "properties": {
            "removing": {"type": "array", "items": {"type": "string"}},
            "kept": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Extended on their own or by another extended collection.",
            },
        },
    },
    "AdminQueued": {
        "type": "object",
        "required": ["queued"],
        "properties": {"queued": {"type": "integer", "minimum": 0}},
    },
}

PATHS: dict[str, Any] = {
    "/collections": {
        "get": op("Collections the caller can see", (200, "AdminCollections"), (401,)),
        "post": op(
            "Create a collection (at the top: the caller becomes its Owner)",
            (201, "AdminCollection"),
            (400, 401, 403, 404, 409, 413, 415),
            write=True,
            body="AdminCollectionNew",
        ),
    },
    "/collections/{collection_id}": {
        "get": op(
            "A collection, its accounts and sub-collections",
            (200, "AdminCollection"),
            (401, 404),
            params=[_CID],
        ),
        "patch": op(
            "Rename and/or move a collection (a move under itself is refused)",
            (200, "AdminCollection"),
            (400, 401, 403, 404, 409, 413, 415),
            write=True,
            params=[_CID],
            body="AdminCollectionChange",
        ),
        "delete": op(
            "Delete a collection and those inside it; the accounts stay",
            (200, "AdminCollectionDeleted"),
            (401, 403, 404),
            write=True,
            params=[_CID],
        ),
    },
    "/collections/{collection_id}/accounts/{account_id}": {
        "put": op(
            "Put an account into the collection (Owner on both)",
            (200, "AdminCollectionAccount"),
            (401, 403, 404),
            write=True,
            params=[_CID, _AID],
        ),
        "delete": op(
            "Take an account out of the collection (it stays in Latchkey)",
            (200, "AdminCollectionAccount"),
            (401, 403, 404, 409),
            write=True,
            params=[_CID, _AID],
        ),
    },
    "/collections/{collection_id}/extension": {
        "post": op(
            "Extend the collection to Okta: every account in it and beneath, now and later",
            (201, "AdminCollectionExtended"),
            (401, 403, 404, 409),
            write=True,
            params=[_CID],
        ),
        "delete": op(
            "Remove the collection from Okta",
            (202, "AdminCollectionRemoval"),
            (401, 403, 404, 409),
            write=True,
            params=[_CID],
        ),
    },
    "/collections/{collection_id}/extension/sync": {
        "post": op(
            "Sync every extended account of the collection manually",
            (202, "AdminQueued"),
            (401, 403, 404, 409),
            write=True,
            params=[_CID],
        )
    },
}

__all__ = ["ERROR", "PATHS", "SCHEMAS", "routes"]
