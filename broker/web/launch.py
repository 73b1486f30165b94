"""`GET /launch/{account_id}`: where an Okta Bookmark chiclet sends the browser (DESIGN.md, step 5).

No broker session: sign in with Okta and come back here. A session: ask `broker.rbac` and answer
with the launch page, which carries a single-use grant for the extension
(docs/launch-contract.md), or with the one *blocked* page, the same for every refusal so that it
never tells whether the account exists. A blocked launch is an audit event with its reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from broker import audit, rbac
from broker.context import BrokerContext
from broker.db import transaction
from broker.grants import issue_grant
from broker.models import Account
from broker.sessions import SignedIn, current_session
from broker.web.auth import HOME, launch_path, start_sign_in
from broker.web.metrics import metrics_of
from broker.web.templating import page

log = logging.getLogger("latchkey.launch")


@dataclass(frozen=True)
class LaunchOutcome:
    grant: str | None
    account_label: str = ""
    denial: rbac.Denial | None = None


def decide(ctx: BrokerContext, signed: SignedIn, account_id: str) -> LaunchOutcome:
    """RBAC's answer for this member and account: a fresh grant, or an audited refusal."""
    member = signed.member
    with transaction(ctx.sessions) as db:
        workspace_id = ctx.workspace_id(db)
        decision = rbac.decide_launch(db, rbac.MemberFacts.of(member), workspace_id, account_id)
        if not decision.allowed or member.workspace_id != workspace_id:
            denial = decision.denial or rbac.Denial.NO_ACCESS
            audit.record(
                db,
                workspace_id,
                "launch.blocked",
                actor_id=member.id,
                target_type="account",
                target_id=account_id[:64],
                reason=denial.value,
            )
            return LaunchOutcome(None, denial=denial)
        account = db.get(Account, account_id)
        assert account is not None  # decide_launch found it live
        grant = issue_grant(
            db, member_id=member.id, account_id=account_id, session_id=signed.session_id
        )
        return LaunchOutcome(grant, account_label=f"{account.name} - {account.app_name}")


async def launch(request: Request) -> Response:
    account_id: str = request.path_params["account_id"]
    signed = await current_session(request)
    if signed is None:
        return await start_sign_in(request, launch_path(account_id) or HOME)
    ctx = request.app.state.ctx
    outcome = await run_in_threadpool(decide, ctx, signed, account_id)
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
        broker_url=ctx.settings.broker_url.rstrip("/"),
    )


def routes() -> list[BaseRoute]:
    return [Route("/launch/{account_id}", launch, methods=["GET"])]
