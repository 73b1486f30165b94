"""My Profile (`/profile`): who I am, my Okta user id, and **Sync with Okta** for every extended
account I own (DESIGN.md, "The user's journey", step 3).

The button is offered only to someone who owns an extended account, and the page says when
syncing is paused for the whole workspace (`broker.web.sync_status`).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from broker.actions import accounts, extended_access
from broker.actions.snapshots import ROLE_NAMES
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import PermissionDenied
from broker.models import Member
from broker.sessions import current_member
from broker.web import flash, forms, sync_status
from broker.web.templating import page

PATH = "/profile"


def _sync_facts(ctx: BrokerContext, member_id: str) -> tuple[sync_status.Pause | None, int]:
    with transaction(ctx.sessions) as db:
        viewer = db.get_one(Member, member_id)
        return sync_status.pause_of(db, viewer), sync_status.owned_extended(db, viewer)


async def profile(request: Request) -> Response:
    member = await current_member(request)
    if member is None:
        return forms.sign_in_needed(request)
    extended = await run_in_threadpool(
        accounts.listing, forms.context_of(request), member.id, extended_only=True, per_page=200
    )
    pause, owned = await run_in_threadpool(_sync_facts, forms.context_of(request), member.id)
    return page(
        request,
        "profile.html",
        member=member,
        role_name=ROLE_NAMES[member.role],
        extended=extended,
        pause=pause,
        owned_extended=owned,
    )


async def sync_with_okta(request: Request) -> Response:
    posted = await forms.posted(request)
    if isinstance(posted, Response):
        return posted
    ctx = forms.context_of(request)
    try:
        queued = await run_in_threadpool(extended_access.sync_all, ctx, posted.member.id)
    except PermissionDenied:
        return forms.sign_in_needed(request)
    count = len(queued)
    if count == 0:
        pause, owned = await run_in_threadpool(_sync_facts, ctx, posted.member.id)
        return flash.redirect(request, PATH, info=sync_status.none_queued_reason(pause, owned))
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
