"""My Profile (`/profile`): who I am, my Okta user id, and **Sync with Okta** for every extended
account I own (DESIGN.md, "The user's journey", step 3)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from broker.actions import accounts, extended_access
from broker.actions.snapshots import ROLE_NAMES
from broker.errors import PermissionDenied
from broker.sessions import current_member
from broker.web import forms
from broker.web.templating import page

PATH = "/profile"


async def profile(request: Request) -> Response:
    member = await current_member(request)
    if member is None:
        return forms.sign_in_needed(request)
    extended = await run_in_threadpool(
        accounts.listing, forms.context_of(request), member.id, extended_only=True, per_page=200
    )
    return page(
        request,
        "profile.html",
        member=member,
        role_name=ROLE_NAMES[member.role],
        extended=extended,
    )


async def sync_with_okta(request: Request) -> Response:
    posted = await forms.posted(request)
    if isinstance(posted, Response):
        return posted
    try:
        queued = await run_in_threadpool(
            extended_access.sync_all, forms.context_of(request), posted.member.id
        )
    except PermissionDenied:
        return forms.sign_in_needed(request)
    count = len(queued)
    return forms.done(
        request,
        PATH,
        f"{count} extended account{'' if count == 1 else 's'} queued for sync with Okta.",
    )


def routes() -> list[BaseRoute]:
    return [
        Route(PATH, profile, methods=["GET"]),
        Route(f"{PATH}/sync", sync_with_okta, methods=["POST"]),
    ]
