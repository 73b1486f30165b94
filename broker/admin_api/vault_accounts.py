"""The admin API for accounts, shares and activity: routes, JSON and their OpenAPI description.

    GET    /accounts                 the accounts the caller can see (?q=&page=&per_page=)
    POST   /accounts                 add one; the caller becomes its Owner
    PATCH  /accounts/{id}            rename, change login, replace password or code
    DELETE /accounts/{id}            delete (its Okta app goes through sync)
    GET    /shares                   who has access (?account_id= or ?collection_id=)
    PUT    /shares                   share with a member or team, or change the role
    DELETE /shares                   remove a share (the same four ids as query parameters)
    POST   /shares/preview           how many people a share would give a chiclet, nothing written
    GET    /activity                 audit events, newest first (?account_id=&member_id=&kind=)

Secrets are write-only: `password` and `totp_secret` go in, and only `has_code` comes out (plus the
current code once, in the answer to the call that set the secret). `endpoints.routes` mounts these
with its own authentication; nothing here decides access: `broker.actions` does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from broker.actions import accounts, activity, shares
from broker.actions.accounts import AccountChange, AccountDetail, AccountInput, AccountRow
from broker.actions.shares import Access, Subject, Target
from broker.admin_api.errors import AdminError
from broker.admin_api.wire import json_object
from broker.context import BrokerContext
from broker.models import Member
from broker.totp import TotpCode

Result = tuple[int, dict[str, Any]]
Handler = Callable[[Request, Member], Awaitable[Result]]
MAX_PER_PAGE = 200


def _ctx(request: Request) -> BrokerContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, BrokerContext)
    return ctx


def _int(request: Request, name: str, default: int, highest: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= highest:
        raise AdminError(f"{name} must be a whole number from 1 to {highest}.", field=name)
    return int(raw)


def _strings(body: Mapping[str, Any], names: tuple[str, ...], *, required: bool) -> dict[str, Any]:
    unknown = sorted(set(body) - set(names))
    if unknown:
        raise AdminError(f"Unknown field: {unknown[0]}.", field=unknown[0])
    for name in names:
        if required and name not in body and name != "totp_secret":
            raise AdminError(f"{name} is required.", field=name)
        if name in body and not isinstance(body[name], str | None):
            raise AdminError(f"{name} must be a string.", field=name)
    return dict(body)


# -- JSON out --------------------------------------------------------------------------------------


def row_json(row: AccountRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "app_name": row.app_name,
        "login_origin": row.login_origin,
        "role": row.role.value,
        "sync_state": None if row.sync_state is None else row.sync_state.value,
    }


def detail_json(detail: AccountDetail) -> dict[str, Any]:
    return {
        "id": detail.id,
        "name": detail.name,
        "app_name": detail.app_name,
        "login_url": detail.login_url,
        "username": detail.username,
        "has_code": detail.has_code,
        "role": detail.role.value,
        "can_manage": detail.can_manage,
        "sync_state": None if detail.sync_state is None else detail.sync_state.value,
    }


def _code_json(code: TotpCode | None) -> dict[str, Any] | None:
    return None if code is None else {"code": code.code, "valid_for_s": int(code.remaining)}


def access_json(item: Access) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "id": item.id,
        "name": item.name,
        "can_manage": item.can_manage,
        "extended_accounts": item.extended,
        "people": [
            {
                "member_id": p.member_id,
                "name": p.name,
                "email": p.email,
                "role": p.role.value,
                "paths": p.paths,
            }
            for p in item.people
        ],
        "shares": [
            {
                "member_id": g.subject.member_id,
                "team_id": g.subject.team_id,
                "name": g.subject_name,
                "role": g.role.value,
                "collection_id": None if g.on_this_item else g.collection_id,
            }
            for g in item.grants
        ],
    }


# -- accounts ------------------------------------------------------------------------------------


async def list_accounts(request: Request, member: Member) -> Result:
    found = await run_in_threadpool(
        lambda: accounts.listing(
            _ctx(request),
            member.id,
            query=request.query_params.get("q", ""),
            page=_int(request, "page", 1, 10**6),
            per_page=_int(request, "per_page", accounts.PER_PAGE, MAX_PER_PAGE),
        )
    )
    return 200, {
        "accounts": [row_json(r) for r in found.rows],
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
        "per_page": found.per_page,
    }


_CREATE = ("name", "app_name", "login_url", "username", "password", "totp_secret")


async def create_account(request: Request, member: Member) -> Result:
    body = _strings(await json_object(request), _CREATE, required=True)
    data = AccountInput(**{k: body.get(k) or "" for k in _CREATE})
    ctx = _ctx(request)
    added = await run_in_threadpool(accounts.create, ctx, member.id, data)
    detail = await run_in_threadpool(accounts.detail, ctx, member.id, added.id)
    return 201, {"account": detail_json(detail), "current_code": _code_json(added.code)}


_CHANGE = ("name", "app_name", "login_url", "username", "password", "totp_secret")


async def update_account(request: Request, member: Member) -> Result:
    raw = await json_object(request)
    remove_code = raw.pop("remove_code", False)
    if not isinstance(remove_code, bool):
        raise AdminError("remove_code must be a boolean.", field="remove_code")
    body = _strings(raw, _CHANGE, required=False)
    if not body and not remove_code:
        raise AdminError("Give at least one of: " + ", ".join(_CHANGE) + ", remove_code.")
    change = AccountChange(**{k: body.get(k) for k in _CHANGE}, remove_code=remove_code)
    account_id = request.path_params["account_id"]
    ctx = _ctx(request)
    code = await run_in_threadpool(accounts.update, ctx, member.id, account_id, change)
    detail = await run_in_threadpool(accounts.detail, ctx, member.id, account_id)
    return 200, {"account": detail_json(detail), "current_code": _code_json(code)}


async def delete_account(request: Request, member: Member) -> Result:
    account_id = request.path_params["account_id"]
    await run_in_threadpool(accounts.delete, _ctx(request), member.id, account_id)
    return 200, {"deleted": account_id}


ACCOUNT_ITEM: dict[str, Handler] = {"PATCH": update_account, "DELETE": delete_account}


# -- shares --------------------------------------------------------------------------------------


def _target(values: Mapping[str, Any]) -> Target:
    account_id, collection_id = values.get("account_id"), values.get("collection_id")
    if not isinstance(account_id, str | None) or not isinstance(collection_id, str | None):
        raise AdminError("account_id and collection_id are strings.", field="account_id")
    if (account_id is None) == (collection_id is None):
        raise AdminError("Give exactly one of account_id or collection_id.", field="account_id")
    return Target(account_id=account_id, collection_id=collection_id)


def _subject(values: Mapping[str, Any]) -> Subject:
    member_id, team_id = values.get("member_id"), values.get("team_id")
    if not isinstance(member_id, str | None) or not isinstance(team_id, str | None):
        raise AdminError("member_id and team_id are strings.", field="member_id")
    if (member_id is None) == (team_id is None):
        raise AdminError("Give exactly one of member_id or team_id.", field="member_id")
    return Subject(member_id=member_id, team_id=team_id)


_SHARE = frozenset({"account_id", "collection_id", "member_id", "team_id", "role"})


async def _share_body(request: Request) -> tuple[Target, Subject, str]:
    body = await json_object(request)
    unknown = sorted(set(body) - _SHARE)
    if unknown:
        raise AdminError(f"Unknown field: {unknown[0]}.", field=unknown[0])
    role = body.get("role")
    if not isinstance(role, str):
        raise AdminError('role must be "owner" or "collaborator".', field="role")
    return _target(body), _subject(body), role


async def get_shares(request: Request, member: Member) -> Result:
    target = _target(dict(request.query_params))
    item = await run_in_threadpool(shares.access, _ctx(request), member.id, target)
    return 200, access_json(item)


async def put_share(request: Request, member: Member) -> Result:
    target, subject, role = await _share_body(request)
    ctx = _ctx(request)
    await run_in_threadpool(shares.grant, ctx, member.id, target, subject, role)
    return 200, access_json(await run_in_threadpool(shares.access, ctx, member.id, target))


async def delete_share(request: Request, member: Member) -> Result:
    query = dict(request.query_params)
    target, subject = _target(query), _subject(query)
    ctx = _ctx(request)
    await run_in_threadpool(shares.revoke, ctx, member.id, target, subject)
    return 200, access_json(await run_in_threadpool(shares.access, ctx, member.id, target))


async def preview_share(request: Request, member: Member) -> Result:
    target, subject, role = await _share_body(request)
    seen = await run_in_threadpool(shares.preview, _ctx(request), member.id, target, subject, role)
    return 200, {
        "new_share": seen.is_new,
        "extended_accounts": seen.extended_accounts,
        "new_people": seen.new_people,
    }


# -- activity ------------------------------------------------------------------------------------


async def get_activity(request: Request, member: Member) -> Result:
    params = request.query_params
    log = await run_in_threadpool(
        lambda: activity.listing(
            _ctx(request),
            member.id,
            account_id=params.get("account_id") or None,
            actor_id=params.get("member_id") or None,
            kind=params.get("kind") or None,
            page=_int(request, "page", 1, 10**6),
        )
    )
    return 200, {
        "events": [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "details": dict(e.details),
            }
            for e in log.rows
        ],
        "total": log.total,
        "page": log.page,
        "pages": log.pages,
        "all_events": log.sees_all,
    }


def routes(route: Callable[..., Any]) -> list[Any]:
    """The family's routes, made by `endpoints.routes`' own `route` (its auth and errors)."""
    return [
        route("/accounts", GET=list_accounts, POST=create_account),
        route("/shares", GET=get_shares, PUT=put_share, DELETE=delete_share),
        route("/shares/preview", POST=preview_share),
        route("/activity", GET=get_activity),
    ]
