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
Its OpenAPI description is `collections_openapi`.
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
