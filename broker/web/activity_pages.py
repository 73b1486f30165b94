"""The activity log (`/activity`): audit events, newest first, filtered by account, member and kind,
paged. Workspace admins see every event; other members the events of the items they own
(`broker.actions.activity` decides); Login-only members and guests are refused."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from broker.actions import activity
from broker.errors import InvalidInput, PermissionDenied
from broker.sessions import current_member
from broker.web import forms
from broker.web.templating import page

PATH = "/activity"


async def activity_log(request: Request) -> Response:
    member = await current_member(request)
    if member is None:
        return forms.sign_in_needed(request)
    params = request.query_params
    filters = {
        "account": params.get("account", "")[:64],
        "member": params.get("member", "")[:64],
        "kind": params.get("kind", "")[:32],
    }
    raw_page = params.get("page", "1")
    errors: dict[str, str] = {}
    try:
        log = await run_in_threadpool(
            lambda: activity.listing(
                forms.context_of(request),
                member.id,
                account_id=filters["account"] or None,
                actor_id=filters["member"] or None,
                kind=filters["kind"] or None,
                page=int(raw_page) if raw_page.isdigit() and len(raw_page) < 7 else 1,
            )
        )
    except PermissionDenied:
        return forms.not_allowed(request, member, what="the activity log")
    except InvalidInput as exc:
        errors = {exc.field or "kind": exc.message}
        filters["kind"] = ""
        log = await run_in_threadpool(
            lambda: activity.listing(forms.context_of(request), member.id)
        )
    kept = {k: v for k, v in filters.items() if v}
    return page(
        request,
        "activity.html",
        400 if errors else 200,
        member=member,
        listing=log,
        filters=filters,
        kinds=activity.KINDS,
        errors=errors,
        pager_query=urlencode(kept),
    )


def routes() -> list[BaseRoute]:
    return [Route(PATH, activity_log, methods=["GET"])]
