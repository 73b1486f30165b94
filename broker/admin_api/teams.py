"""`/teams…` of the admin API (workspace admins), and its part of the OpenAPI document.

    GET    /teams                                   every team, with whether Okta manages it
    POST   /teams                                   {name} → 201
    GET    /teams/{id}                              the team and its members
    PATCH  /teams/{id}                              {name}
    DELETE /teams/{id}                              the team and its shares
    PUT    /teams/{id}/members/{member_id}          add a member
    DELETE /teams/{id}/members/{member_id}          remove a member

A team pushed from an Okta group is Okta's: every change to it answers 409 `conflict`
(`broker.actions.teams` refuses it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from broker.actions import teams as actions
from broker.admin_api import wire
from broker.admin_api.errors import AdminError
from broker.admin_api.vault_openapi import op, path_param, ref
from broker.context import BrokerContext
from broker.models import Member

Result = tuple[int, dict[str, Any]]
RouteMaker = Callable[..., Route]


def _ctx(request: Request) -> BrokerContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, BrokerContext)
    return ctx


def team_json(team: actions.TeamSnapshot) -> dict[str, Any]:
    return {
        "id": team.id,
        "name": team.name,
        "managed_by_okta": team.managed_by_okta,
        "members": [wire.member_json(m) for m in team.members],
    }


async def _name(request: Request) -> str:
    body = await wire.json_object(request)
    unknown = sorted(set(body) - {"name"})
    if unknown:
        raise AdminError(f"Unknown field: {unknown[0]}.", field=unknown[0])
    if not isinstance(body.get("name"), str):
        raise AdminError("name is required and must be a string.", field="name")
    return str(body["name"])


async def _team(request: Request, member: Member, team_id: str) -> dict[str, Any]:
    return team_json(await run_in_threadpool(actions.team, _ctx(request), member.id, team_id))


async def _list(request: Request, member: Member) -> Result:
    rows = await run_in_threadpool(actions.listing, _ctx(request), member.id)
    return 200, {
        "teams": [
            {"id": r.id, "name": r.name, "managed_by_okta": r.managed_by_okta, "members": r.members}
            for r in rows
        ]
    }


async def _create(request: Request, member: Member) -> Result:
    name = await _name(request)
    made = await run_in_threadpool(actions.create, _ctx(request), member.id, name)
    return 201, await _team(request, member, made)


async def _get(request: Request, member: Member) -> Result:
    return 200, await _team(request, member, request.path_params["team_id"])


async def _patch(request: Request, member: Member) -> Result:
    team_id = request.path_params["team_id"]
    name = await _name(request)
    await run_in_threadpool(actions.rename, _ctx(request), member.id, team_id, name)
    return 200, await _team(request, member, team_id)


async def _delete(request: Request, member: Member) -> Result:
    name = await run_in_threadpool(
        actions.delete, _ctx(request), member.id, request.path_params["team_id"]
    )
    return 200, {"deleted": name}


async def _add(request: Request, member: Member) -> Result:
    team_id, who = request.path_params["team_id"], request.path_params["member_id"]
    await run_in_threadpool(actions.add_members, _ctx(request), member.id, team_id, [who])
    return 200, await _team(request, member, team_id)


async def _remove(request: Request, member: Member) -> Result:
    team_id, who = request.path_params["team_id"], request.path_params["member_id"]
    await run_in_threadpool(actions.remove_members, _ctx(request), member.id, team_id, [who])
    return 200, await _team(request, member, team_id)


def routes(route: RouteMaker) -> list[Route]:
    return [
        route("/teams", GET=_list, POST=_create),
        route("/teams/{team_id}", GET=_get, PATCH=_patch, DELETE=_delete),
        route("/teams/{team_id}/members/{member_id}", PUT=_add, DELETE=_remove),
    ]


# -- OpenAPI ------------------------------------------------------------------------------------

_TID = path_param("team_id")
_MID = path_param("member_id")
_MANAGED = {
    "type": "boolean",
    "description": "Pushed from an Okta group: name and members change only in Okta (409 here).",
}

SCHEMAS: dict[str, Any] = {
    "AdminTeams": {
        "type": "object",
        "required": ["teams"],
        "properties": {
            "teams": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "name", "managed_by_okta", "members"],
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "managed_by_okta": _MANAGED,
                        "members": {"type": "integer", "minimum": 0},
                    },
                },
            }
        },
    },
    "AdminTeam": {
        "type": "object",
        "required": ["id", "name", "managed_by_okta", "members"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "managed_by_okta": _MANAGED,
            "members": {"type": "array", "items": ref("AdminMember")},
        },
    },
    "AdminTeamName": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 200}},
    },
    "AdminTeamDeleted": {
        "type": "object",
        "required": ["deleted"],
        "properties": {"deleted": {"type": "string", "description": "The team's name."}},
    },
}

_WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 415)
PATHS: dict[str, Any] = {
    "/teams": {
        "get": op("Every team of the workspace (admins)", (200, "AdminTeams"), (401, 403)),
        "post": op(
            "Create a team",
            (201, "AdminTeam"),
            _WRITE_ERRORS,
            write=True,
            body="AdminTeamName",
        ),
    },
    "/teams/{team_id}": {
        "get": op("A team and its members", (200, "AdminTeam"), (401, 403, 404), params=[_TID]),
        "patch": op(
            "Rename a team (not one Okta manages)",
            (200, "AdminTeam"),
            _WRITE_ERRORS,
            write=True,
            params=[_TID],
            body="AdminTeamName",
        ),
        "delete": op(
            "Delete a team and its shares (not one Okta manages)",
            (200, "AdminTeamDeleted"),
            (401, 403, 404, 409),
            write=True,
            params=[_TID],
        ),
    },
    "/teams/{team_id}/members/{member_id}": {
        "put": op(
            "Add a member (not to a team Okta manages)",
            (200, "AdminTeam"),
            (400, 401, 403, 404, 409),
            write=True,
            params=[_TID, _MID],
        ),
        "delete": op(
            "Remove a member (not from a team Okta manages)",
            (200, "AdminTeam"),
            (401, 403, 404, 409),
            write=True,
            params=[_TID, _MID],
        ),
    },
}
