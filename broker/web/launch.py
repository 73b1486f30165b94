"""`GET /launch/{account_id}`: where an Okta Bookmark chiclet sends the browser (DESIGN.md, step 5).

No broker session: sign in with Okta and come back here. A session: ask `broker.actions.launch`
(which asks `broker.rbac`) and answer with the launch page, which carries a single-use grant for
the extension (docs/launch-contract.md), or with the one *blocked* page, the same for every
refusal so that it never tells whether the account exists. A blocked launch is an audit event
with its reason.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from broker import sessions
from broker.actions import launch as launch_action
from broker.context import BrokerContext
from broker.db import core_transaction
from broker.sessions import SignedInPrincipal
from broker.web.auth import HOME, launch_path, start_sign_in
from broker.web.forms import context_of
from broker.web.metrics import metrics_of
from broker.web.templating import page

log = logging.getLogger("latchkey.launch")


def _launch(
    ctx: BrokerContext, token: str | None, account_id: str
) -> tuple[SignedInPrincipal | None, launch_action.LaunchOutcome | None]:
    """The broker session and the launch, in one transaction (and one thread hop)."""
    if not token:
        return None, None
    with core_transaction(ctx.sessions) as db:
        signed = sessions.resolve_principal(db, token)
        if signed is None:
            return None, None
        member, session_id = signed.member, signed.session_id
        return signed, launch_action.launch_in(db, ctx, member, session_id, account_id)


async def launch(request: Request) -> Response:
    account_id: str = request.path_params["account_id"]
    signed, outcome = await run_in_threadpool(
        _launch, context_of(request), sessions.cookie_token(request), account_id
    )
    if signed is None or outcome is None:
        return await start_sign_in(request, launch_path(account_id) or HOME)
    metrics = metrics_of(request)
    if outcome.grant is None:
        metrics.launches.labels("blocked").inc()
        log.info("launch blocked", extra={"reason": outcome.denial})
        return page(request, "blocked.html", 403, member=signed.member)
    metrics.launches.labels("granted").inc()
    return page(
        request,
        "launch.html",
        member=signed.member,
        grant=outcome.grant,
        account_id=account_id,
        account_label=outcome.account_label,
        # What the extension's Options must hold for its content script to run on this page.
        broker_url=context_of(request).settings.broker_url.rstrip("/"),
    )


def routes() -> list[BaseRoute]:
    return [Route("/launch/{account_id}", launch, methods=["GET"])]
