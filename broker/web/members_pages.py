"""Members (`/members`, admins only): each member's role, whether they are active, and the SCIM
external id (the Okta user id) that lets them be assigned in Okta, or "not from Okta"."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from broker import rbac
from broker.context import BrokerContext
from broker.db import transaction
from broker.sessions import current_member
from broker.web import forms
from broker.web.snapshots import ROLE_NAMES, MemberRow, member_rows
from broker.web.templating import page


def _rows(ctx: BrokerContext, workspace_id: str) -> list[MemberRow]:
    with transaction(ctx.sessions) as db:
        return member_rows(db, workspace_id)


async def members(request: Request) -> Response:
    member = await current_member(request)
    if member is None:
        return forms.sign_in_needed(request)
    if not rbac.can_edit_settings(member):
        return forms.not_allowed(request, member, what="the list of members")
    rows = await run_in_threadpool(_rows, forms.context_of(request), member.workspace_id)
    return page(request, "members.html", member=member, rows=rows, role_names=ROLE_NAMES)


def routes() -> list[BaseRoute]:
    return [Route("/members", members, methods=["GET"])]
