"""The account page (`/accounts/{account_id}`) and its *Extended account access for Okta* actions
(DESIGN.md, "The user's journey", step 3).

Only members who can launch an account see its page; anyone else, and any id that names nothing,
gets the same 404 page. The buttons drawn follow `broker.rbac` (through the snapshot), and every
POST goes through `broker.actions.extended_access`, which asks RBAC again: the page is never
trusted.
Confirmations (*Extend your account to Okta?*, *Remove from Okta?*) are pages with an open
`<dialog>`, since the pages run no script.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from broker.actions import extended_access
from broker.actions.snapshots import AccountSnapshot
from broker.context import BrokerContext
from broker.errors import Conflict, DomainError, NotFound, PermissionDenied
from broker.models import Member
from broker.sessions import current_member
from broker.web import forms, sync_status
from broker.web.templating import page

_WHAT = "this action on the account"
MESSAGES = {
    "extended": "Your account is being extended to Okta. Its state shows pending until the "
    "next sync.",
    "sync_requested": "A sync of this account is queued.",
    "removal_requested": "The account is being removed from Okta. It stays in Latchkey.",
}
# Which confirmation each dialog step asks for, and what the snapshot must allow.
_CONFIRMS: dict[str, Callable[[AccountSnapshot], bool]] = {
    "extend": lambda a: a.can_extend,
    "remove": lambda a: a.can_remove,
}
ActionFn = Callable[[BrokerContext, str, str], None]
_ACTIONS: dict[str, tuple[ActionFn, str]] = {
    "extend": (extended_access.extend, "extended"),
    "sync": (extended_access.sync, "sync_requested"),
    "remove": (extended_access.remove, "removal_requested"),
}


def path_of(account_id: str) -> str:
    return f"/accounts/{account_id}"


@dataclass(frozen=True)
class _Loaded:
    member: Member
    account: AccountSnapshot
    pause: sync_status.Pause | None  # why no sync runs in this workspace now, if none does


def _snapshot(
    ctx: BrokerContext, member_id: str, account_id: str
) -> tuple[AccountSnapshot, sync_status.Pause | None] | None:
    # One 404 for every refusal: a deactivated viewer learns no more than an outsider.
    try:
        snapshot = extended_access.account(ctx, member_id, account_id)
    except DomainError:
        return None
    return snapshot, sync_status.pause_for(ctx, member_id)


async def _load(request: Request) -> _Loaded | Response:
    member = await current_member(request)
    if member is None:
        return forms.sign_in_needed(request)
    account_id: str = request.path_params["account_id"]
    ctx = forms.context_of(request)
    found = await run_in_threadpool(_snapshot, ctx, member.id, account_id)
    if found is None:
        return forms.not_found(request, member)
    return _Loaded(member, *found)


async def account(request: Request) -> Response:
    loaded = await _load(request)
    if isinstance(loaded, Response):
        return loaded
    return page(
        request, "account.html", member=loaded.member, account=loaded.account, pause=loaded.pause
    )


def _not_owner(request: Request, member: Member, account_id: str, reason: str) -> Response:
    """The account's Owner decides what happens to it in Okta, not a workspace Admin."""
    return forms.not_allowed(
        request,
        member,
        what=_WHAT,
        reason=reason,
        advice="Ask the account's Owner if it should be extended to Okta, synced or removed.",
        back=(path_of(account_id), "the account"),
    )


async def confirm(request: Request) -> Response:
    kind: str = request.path_params["kind"]
    loaded = await _load(request)
    if isinstance(loaded, Response):
        return loaded
    member, snapshot = loaded.member, loaded.account
    if kind not in _CONFIRMS:
        return forms.not_found(request, member)
    if not _CONFIRMS[kind](snapshot):
        return _refused_confirm(request, member, snapshot, kind)
    return page(request, "account_confirm.html", member=member, account=snapshot, kind=kind)


def _refused_confirm(
    request: Request, member: Member, snapshot: AccountSnapshot, kind: str
) -> Response:
    """A dialog that no longer applies (Back, an old tab): say what is true, with a way back."""
    extension = snapshot.extension
    if kind == "extend" and extension is not None and not snapshot.removing:
        return forms.stale(request, path_of(snapshot.id), "This account is already extended.")
    if kind == "remove" and snapshot.removing:
        return forms.stale(
            request, path_of(snapshot.id), "This account is being removed from Okta."
        )
    if kind == "remove" and extension is None:
        return forms.stale(request, path_of(snapshot.id), "This account is not extended to Okta.")
    if kind == "extend" and not snapshot.feature_on:
        return forms.stale(request, path_of(snapshot.id), sync_status.FEATURE_OFF)
    return _not_owner(
        request,
        member,
        snapshot.id,
        "Only an Owner of this account, provisioned from Okta, "
        "can extend it or remove it from Okta.",
    )


async def act(request: Request) -> Response:
    kind: str = request.path_params["kind"]
    account_id: str = request.path_params["account_id"]
    posted = await forms.posted(request)
    if isinstance(posted, Response):
        return posted
    member = posted.member
    if kind not in _ACTIONS:
        return forms.not_found(request, member)
    action, outcome = _ACTIONS[kind]
    ctx = forms.context_of(request)
    try:
        await run_in_threadpool(action, ctx, member.id, account_id)
    except NotFound:
        return forms.not_found(request, member)
    except PermissionDenied as exc:
        return _not_owner(request, member, account_id, exc.message)
    except Conflict as exc:
        # Back after an action, an old tab, a second submit: the page says what is true now.
        return forms.stale(request, path_of(account_id), exc.message)
    return forms.done(request, path_of(account_id), MESSAGES[outcome])


def routes() -> list[BaseRoute]:
    return [
        Route("/accounts/{account_id}", account, methods=["GET"]),
        Route("/accounts/{account_id}/{kind}", confirm, methods=["GET"]),
        Route("/accounts/{account_id}/{kind}", act, methods=["POST"]),
    ]
