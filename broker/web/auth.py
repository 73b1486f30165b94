"""Sign-in with Okta (`/auth/login`, `/auth/callback`) and sign-out (`/auth/logout`).

A sign-in starts at a launch (or at `/auth/login`), goes to Okta's authorize endpoint (silent when
the user has an Okta session) and ends at the callback, which opens a broker session for the
member whose SCIM `external_id` is the ID token's `sub` and goes back to where it started: the
launch, or the page that asked the person to sign in (`/auth/login?next=/settings`). A return
target is only ever one of the broker's own page paths (`return_path`): never a URL, a host, a
dot segment or an API path, so a link cannot turn the sign-in into an open redirect.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from broker import audit
from broker.context import BrokerContext
from broker.db import transaction
from broker.models import Member
from broker.oidc import transactions
from broker.oidc.client import Identity, RelyingParty
from broker.oidc.errors import (
    AuthorizationDenied,
    IdTokenInvalid,
    IssuerMismatch,
    ProviderError,
    SignInError,
    TransactionInvalid,
)
from broker.session_models import BrokerSession
from broker.sessions import (
    clear_session_cookie,
    cookie_token,
    csrf_ok,
    current_member,
    current_session,
    open_session,
    revoke,
    set_session_cookie,
)
from broker.tokens import hash_token
from broker.web.metrics import metrics_of
from broker.web.templating import page

log = logging.getLogger("latchkey.auth")

HOME = "/"
# Ids from `broker.db.new_id`: 22 URL-safe characters; a little slack, never a slash or a dot.
_ACCOUNT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# A page path: "/" or slash-separated segments of [A-Za-z0-9_-] (no "//", no dots, no backslash,
# no query); the column that keeps it holds 200 characters.
_PAGE_PATH = re.compile(r"/(?:[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*)?")
_NOT_PAGES = ("/auth/", "/api/", "/scim/", "/static/", "/metrics", "/healthz", "/readyz")

_FAILURE_TEXT: dict[type[SignInError], tuple[str, str]] = {
    AuthorizationDenied: (
        "Okta did not sign you in",
        "Okta answered that the sign-in could not go ahead.",
    ),
    TransactionInvalid: (
        "This sign-in link has expired",
        "The sign-in was already used, took too long or was started in another browser.",
    ),
    IssuerMismatch: (
        "Sign-in could not be verified",
        "The answer did not come from the Okta organisation this Latchkey trusts.",
    ),
    IdTokenInvalid: (
        "Sign-in could not be verified",
        "Okta's answer did not pass Latchkey's checks, so nobody was signed in.",
    ),
    ProviderError: (
        "Okta is not answering as expected",
        "Latchkey could not finish the sign-in with Okta. Try again in a moment.",
    ),
}


def launch_path(account_id: str) -> str | None:
    """The launch path of an account id that could be one, else None."""
    return f"/launch/{account_id}" if _ACCOUNT_ID.fullmatch(account_id) else None


def return_path(candidate: str | None) -> str | None:
    """`candidate` when it is one of the broker's own page paths, else None."""
    if not candidate or len(candidate) > 200 or not _PAGE_PATH.fullmatch(candidate):
        return None
    if candidate.startswith(_NOT_PAGES):
        return None
    return candidate


def launch_account(return_to: str) -> str | None:
    prefix = "/launch/"
    if return_to.startswith(prefix) and _ACCOUNT_ID.fullmatch(return_to[len(prefix) :]):
        return return_to[len(prefix) :]
    return None


def _context(request: Request) -> BrokerContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, BrokerContext)
    return ctx


def relying_party(request: Request) -> RelyingParty:
    rp = request.app.state.relying_party
    assert isinstance(rp, RelyingParty)
    return rp


def _begin(ctx: BrokerContext, binder: str | None, return_to: str) -> transactions.Started:
    with transaction(ctx.sessions) as db:
        return transactions.begin(db, binder=binder, return_to=return_to)


async def start_sign_in(request: Request, return_to: str) -> Response:
    """Send the browser to Okta; it comes back to `return_to` (a path we built) once signed in."""
    assert return_path(return_to) == return_to
    ctx, rp = _context(request), relying_party(request)
    try:
        await rp.metadata()  # fail before writing anything when Okta is unreachable
    except SignInError as exc:
        return _failed(request, exc)
    started = await run_in_threadpool(
        _begin, ctx, request.cookies.get(transactions.BINDER_COOKIE), return_to
    )
    url = await rp.authorization_url(
        state=started.state, nonce=started.nonce, code_verifier=started.code_verifier
    )
    response = RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        transactions.BINDER_COOKIE,
        started.binder,
        max_age=int(transactions.TRANSACTION_TTL.total_seconds()),
        # Host-wide: a sign-in started at /launch must find the binder of one started earlier,
        # or two chiclets clicked together would each overwrite the other's.
        path="/",
        httponly=True,
        samesite="lax",
        secure=ctx.settings.secure_cookies,
    )
    return response


def _not_assigned(request: Request) -> Response:
    """Okta refuses to sign a user in to an OIDC app they are not assigned to (directly or
    through a group) and says so with `access_denied` at the redirect URI (DESIGN.md "Okta
    facts"): tell the person what to ask their Okta admin."""
    metrics_of(request).signins.labels("not_assigned").inc()
    log.info("sign-in refused by Okta", extra={"reason": "access_denied"})
    client_id = _context(request).settings.oidc_client_id
    return page(request, "signin_not_assigned.html", 403, client_id=client_id)


def _failed(request: Request, exc: SignInError) -> Response:
    if isinstance(exc, AuthorizationDenied) and exc.error == "access_denied":
        return _not_assigned(request)
    metrics_of(request).signins.labels(exc.reason).inc()
    log.warning("sign-in failed", extra={"reason": exc.reason, "error_class": type(exc).__name__})
    title, lead = next(
        (text for cls, text in _FAILURE_TEXT.items() if isinstance(exc, cls)),
        ("Sign-in did not complete", "Latchkey could not finish the sign-in."),
    )
    paragraphs = [lead]
    if isinstance(exc, AuthorizationDenied):
        paragraphs.append(f"Okta's reason: {exc.error}.")
    return page(
        request,
        "signin_failed.html",
        exc.status,
        title=title,
        paragraphs=paragraphs,
        reason=exc.reason,
    )


def _take(ctx: BrokerContext, state: str | None) -> transactions.Taken | None:
    with transaction(ctx.sessions) as db:
        return transactions.take(db, state)


def _record_failure(ctx: BrokerContext, reason: str) -> None:
    with transaction(ctx.sessions) as db:
        audit.record(db, ctx.workspace_id(db), "signin.failed", reason=reason)


@dataclass(frozen=True)
class _Outcome:
    token: str | None  # the new session's cookie token; None when refused
    refusal: str | None  # "unknown_member" or "deactivated"


def _sign_in_member(
    ctx: BrokerContext, identity: Identity, return_to: str, old_token: str | None
) -> _Outcome:
    with transaction(ctx.sessions) as db:
        workspace_id = ctx.workspace_id(db)
        member = db.scalar(
            select(Member).where(
                Member.workspace_id == workspace_id, Member.external_id == identity.subject
            )
        )
        refusal = None
        if member is None:
            refusal = "unknown_member"
        elif not member.active:
            refusal = "deactivated"
        if refusal is not None:
            account_id = launch_account(return_to)
            audit.record(
                db,
                workspace_id,
                "launch.blocked" if account_id else "signin.refused",
                actor_id=member.id if member else None,
                target_type="account" if account_id else None,
                target_id=account_id,
                reason=refusal,
                okta_user_id=identity.subject,
            )
            return _Outcome(None, refusal)
        assert member is not None
        if old_token:
            # A new sign-in replaces the browser's previous session (no fixation).
            previous = db.scalar(
                select(BrokerSession.id).where(BrokerSession.token_hash == hash_token(old_token))
            )
            if previous is not None:
                revoke(db, previous)
        token, row = open_session(db, member.id, ttl_s=ctx.settings.session_ttl_s)
        audit.record(
            db,
            workspace_id,
            "member.signed_in",
            actor_id=member.id,
            target_type="member",
            target_id=member.id,
            session_id=row.id,
        )
        return _Outcome(token, None)


async def callback(request: Request) -> Response:
    """The redirection endpoint (OIDC Core §3.1.2.5, RFC 6749 §4.1.2)."""
    ctx, rp = _context(request), relying_party(request)
    params = request.query_params
    # The transaction is spent before anything else is checked: a refused callback uses it up.
    taken = await run_in_threadpool(_take, ctx, params.get("state"))
    try:
        pending = transactions.check(taken, request.cookies.get(transactions.BINDER_COOKIE))
        if params.get("error"):
            raise AuthorizationDenied(params["error"], params.get("error_description"))
        await rp.check_response_issuer(params.get("iss"))
        code = params.get("code")
        if not code:
            raise ProviderError("The authorization response carries no code.", reason="no_code")
        identity = await rp.redeem(code, code_verifier=pending.code_verifier, nonce=pending.nonce)
    except SignInError as exc:
        if not isinstance(exc, AuthorizationDenied | TransactionInvalid):
            await run_in_threadpool(_record_failure, ctx, exc.reason)
        return _failed(request, exc)
    outcome = await run_in_threadpool(
        _sign_in_member, ctx, identity, pending.return_to, cookie_token(request)
    )
    if outcome.token is None:
        metrics_of(request).signins.labels(outcome.refusal or "refused").inc()
        log.info("sign-in refused", extra={"reason": outcome.refusal})
        if launch_account(pending.return_to):
            metrics_of(request).launches.labels("blocked").inc()
            return page(request, "blocked.html", 403)
        return page(request, "signin_refused.html", 403)
    metrics_of(request).signins.labels("ok").inc()
    response = RedirectResponse(
        pending.return_to, status_code=303, headers={"Cache-Control": "no-store"}
    )
    set_session_cookie(response, outcome.token, ctx.settings)
    return response


async def login(request: Request) -> Response:
    """`/auth/login[?account=<id> | ?next=<page path>]`: sign in, then go to that account's
    launch, or back to the page that asked, or home."""
    account = request.query_params.get("account")
    return_to = (
        (launch_path(account) if account else None)
        or return_path(request.query_params.get("next"))
        or HOME
    )
    if await current_session(request) is not None:
        return RedirectResponse(return_to, status_code=303)
    return await start_sign_in(request, return_to)


def _sign_out(ctx: BrokerContext, session_id: str, member: Member) -> None:
    with transaction(ctx.sessions) as db:
        revoke(db, session_id)
        audit.record(
            db,
            member.workspace_id,
            "member.signed_out",
            actor_id=member.id,
            target_type="member",
            target_id=member.id,
            session_id=session_id,
        )


async def logout(request: Request) -> Response:
    """GET asks to confirm; POST (with the session's form token) ends the session."""
    ctx = _context(request)
    signed = await current_session(request)
    if request.method == "GET":
        return page(request, "logout.html", member=await current_member(request))
    async with request.form() as form:
        submitted = form.get("csrf_token")
    if signed is not None:
        if not csrf_ok(request, submitted if isinstance(submitted, str) else None):
            return page(request, "forbidden.html", 403, member=signed.member)
        await run_in_threadpool(_sign_out, ctx, signed.session_id, signed.member)
    response = page(request, "signed_out.html")
    clear_session_cookie(response, ctx.settings)
    return response


def routes() -> list[BaseRoute]:
    return [
        Route("/auth/login", login, methods=["GET"]),
        Route("/auth/callback", callback, methods=["GET"]),
        Route("/auth/logout", logout, methods=["GET", "POST"]),
    ]
