"""Personal API tokens (`/profile/tokens`): create a named token (shown once), see when each was
made and last used, revoke (docs/admin.md, "API tokens"). Linked from My Profile and Settings.

A new token is shown on the answer to the form post itself, never through a redirect: the flash
cookie and the URL are both places a secret must not go. The page is `no-store` like every page.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from broker import rbac
from broker.actions import tokens
from broker.errors import DomainError, NotFound, PermissionDenied
from broker.models import Member
from broker.sessions import current_member
from broker.web import forms
from broker.web.templating import page, templates

PATH = "/profile/tokens"
_WHAT = "API tokens"

# My Profile links here only for members who may hold tokens.
templates.env.globals["can_hold_api_tokens"] = rbac.can_hold_api_tokens


async def _page(
    request: Request,
    member: Member,
    status_code: int = 200,
    *,
    issued: tokens.Issued | None = None,
    errors: dict[str, str] | None = None,
    name_value: str = "",
) -> Response:
    try:
        rows = await run_in_threadpool(tokens.listing, forms.context_of(request), member.id)
    except PermissionDenied:
        return forms.not_allowed(request, member, what=_WHAT)
    return page(
        request,
        "tokens.html",
        status_code,
        member=member,
        rows=rows,
        issued=issued,
        errors=errors or {},
        name_value=name_value,
    )


async def tokens_page(request: Request) -> Response:
    member = await current_member(request)
    if member is None:
        return forms.sign_in_needed(request)
    return await _page(request, member)


async def create(request: Request) -> Response:
    posted = await forms.posted(request)
    if isinstance(posted, Response):
        return posted
    name = posted.fields.get("name", "")
    try:
        issued = await run_in_threadpool(
            tokens.create, forms.context_of(request), posted.member.id, name
        )
    except PermissionDenied:
        return forms.not_allowed(request, posted.member, what=_WHAT)
    except DomainError as exc:
        return await _page(
            request, posted.member, 400, errors={"name": exc.message}, name_value=name
        )
    return await _page(request, posted.member, 201, issued=issued)


async def revoke(request: Request) -> Response:
    posted = await forms.posted(request)
    if isinstance(posted, Response):
        return posted
    try:
        row = await run_in_threadpool(
            tokens.revoke,
            forms.context_of(request),
            posted.member.id,
            request.path_params["token_id"],
        )
    except NotFound:
        return forms.stale(request, PATH, "That token is not one of yours, or no longer exists.")
    except PermissionDenied:
        return forms.sign_in_needed(request)
    return forms.done(request, PATH, f"The token “{row.name}” is revoked; it no longer works.")


def routes() -> list[BaseRoute]:
    return [
        Route(PATH, tokens_page, methods=["GET"]),
        Route(PATH, create, methods=["POST"]),
        Route(f"{PATH}/{{token_id}}/revoke", revoke, methods=["POST"]),
    ]
