"""My Profile (`/profile`): who I am, my Okta user id, and **Sync with Okta** for every extended
account I own (DESIGN.md, "The user's journey", step 3)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from broker.actions import extended_access
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
    queued = request.query_params.get("queued", "")
    return page(
        request,
        "profile.html",
        member=member,
        role_name=ROLE_NAMES[member.role],
        # Only a count is carried over the redirect, and only digits are shown back.
        queued=int(queued) if queued.isdigit() and len(queued) < 7 else None,
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
    return RedirectResponse(f"{PATH}?queued={len(queued)}", status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route(PATH, profile, methods=["GET"]),
        Route(f"{PATH}/sync", sync_with_okta, methods=["POST"]),
    ]
