"""Members (`/members`, admins only): each member's role, whether they are active, and the SCIM
external id (the Okta user id) that lets them be assigned in Okta, or "not from Okta"."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from broker.actions import members as member_actions
from broker.actions.snapshots import ROLE_NAMES
from broker.errors import DomainError
from broker.sessions import current_member
from broker.web import forms
from broker.web.templating import page


async def members(request: Request) -> Response:
    member = await current_member(request)
    if member is None:
        return forms.sign_in_needed(request)
    try:
        rows = await run_in_threadpool(member_actions.listing, forms.context_of(request), member.id)
    except DomainError:
        return forms.not_allowed(request, member, what="the list of members")
    return page(request, "members.html", member=member, rows=rows, role_names=ROLE_NAMES)


def routes() -> list[BaseRoute]:
    return [Route("/members", members, methods=["GET"])]
