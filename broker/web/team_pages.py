"""Teams (`/teams`, `/teams/{id}`), for workspace admins: the list, a new team, a team's page with
its members, and rename, add and remove members, delete (confirmed).

A team Okta pushes over SCIM is shown as *Managed by Okta* with no form at all, and
`broker.actions.teams` refuses any change to it anyway (a hand-made post gets the same answer).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from broker import rbac
from broker.actions import teams
from broker.errors import DomainError, NotFound, PermissionDenied
from broker.models import Member
from broker.sessions import current_member
from broker.web import forms
from broker.web.templating import page, templates

# The header links to Teams only for those who may manage them.
templates.env.globals["can_manage_teams"] = rbac.can_manage_teams

_WHAT = "teams"


def path_of(team_id: str) -> str:
    return f"/teams/{team_id}"


async def _member(request: Request) -> Member | Response:
    member = await current_member(request)
    return forms.sign_in_needed(request) if member is None else member


async def listing(request: Request) -> Response:
    member = await _member(request)
    if isinstance(member, Response):
        return member
    try:
        rows = await run_in_threadpool(teams.listing, forms.context_of(request), member.id)
    except PermissionDenied:
        return forms.not_allowed(request, member, what=_WHAT)
    return page(request, "teams.html", member=member, rows=rows, errors={})


async def _team_page(request: Request, template: str) -> Response:
    member = await _member(request)
    if isinstance(member, Response):
        return member
    try:
        found = await run_in_threadpool(
            teams.team, forms.context_of(request), member.id, request.path_params["team_id"]
        )
    except PermissionDenied:
        return forms.not_allowed(request, member, what=_WHAT)
    except DomainError:
        return forms.not_found(request, member)
    if template == "team_confirm.html" and found.managed_by_okta:
        return forms.stale(request, path_of(found.id), teams.OKTA_OWNS)
    return page(request, template, member=member, team=found)


async def team(request: Request) -> Response:
    return await _team_page(request, "team.html")


async def confirm_delete(request: Request) -> Response:
    return await _team_page(request, "team_confirm.html")


async def create(request: Request) -> Response:
    posted = await forms.posted(request)
    if isinstance(posted, Response):
        return posted
    member, name = posted.member, posted.fields.get("name", "")
    ctx = forms.context_of(request)
    try:
        made = await run_in_threadpool(teams.create, ctx, member.id, name)
    except PermissionDenied:
        return forms.not_allowed(request, member, what=_WHAT)
    except DomainError as exc:
        rows = await run_in_threadpool(teams.listing, ctx, member.id)
        return page(
            request,
            "teams.html",
            400,
            member=member,
            rows=rows,
            name_value=name,
            errors={"name": exc.message},
        )
    return forms.done(request, path_of(made), "The team is made. Add its members below.")


async def _act(
    request: Request, run: Callable[[Member, dict[str, str]], str], *, back: str | None = None
) -> Response:
    team_id: str = request.path_params["team_id"]
    posted = await forms.posted(request)
    if isinstance(posted, Response):
        return posted
    member = posted.member
    try:
        message = await run_in_threadpool(run, member, posted.fields)
    except PermissionDenied:
        return forms.not_allowed(request, member, what=_WHAT)
    except NotFound as exc:
        if exc.message == "No such team.":
            return forms.not_found(request, member)
        return forms.stale(request, path_of(team_id), exc.message)
    except DomainError as exc:  # bad input, Okta's team, a stale tab: said on the page
        return forms.stale(request, path_of(team_id), exc.message)
    return forms.done(request, back or path_of(team_id), message)


async def rename(request: Request) -> Response:
    ctx, team_id = forms.context_of(request), request.path_params["team_id"]

    def run(member: Member, fields: dict[str, str]) -> str:
        teams.rename(ctx, member.id, team_id, fields.get("name", ""))
        return "The team is renamed."

    return await _act(request, run)


async def add_member(request: Request) -> Response:
    ctx, team_id = forms.context_of(request), request.path_params["team_id"]

    def run(member: Member, fields: dict[str, str]) -> str:
        chosen = fields.get("member_id", "")
        teams.add_members(ctx, member.id, team_id, [chosen] if chosen else [])
        return "The member is added to the team."

    return await _act(request, run)


async def remove_member(request: Request) -> Response:
    ctx, team_id = forms.context_of(request), request.path_params["team_id"]
    leaving: str = request.path_params["member_id"]

    def run(member: Member, _fields: dict[str, str]) -> str:
        teams.remove_members(ctx, member.id, team_id, [leaving])
        return "The member is removed from the team."

    return await _act(request, run)


async def delete(request: Request) -> Response:
    ctx, team_id = forms.context_of(request), request.path_params["team_id"]

    def run(member: Member, _fields: dict[str, str]) -> str:
        name = teams.delete(ctx, member.id, team_id)
        return f"The team “{name}” is deleted, with its shares."

    return await _act(request, run, back="/teams")


def routes() -> list[BaseRoute]:
    base = "/teams/{team_id}"
    return [
        Route("/teams", listing, methods=["GET"]),
        Route("/teams", create, methods=["POST"]),
        Route(base, team, methods=["GET"]),
        Route(base + "/delete", confirm_delete, methods=["GET"]),
        Route(base + "/delete", delete, methods=["POST"]),
        Route(base + "/rename", rename, methods=["POST"]),
        Route(base + "/members", add_member, methods=["POST"]),
        Route(base + "/members/{member_id}/remove", remove_member, methods=["POST"]),
    ]
