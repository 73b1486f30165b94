"""The accounts list (`/accounts`, and `/` when signed in), adding an account, editing it and
deleting it (`/accounts/new`, `/accounts/{id}/edit`, `/accounts/{id}/delete`).

Parsing and drawing only: `broker.actions.accounts` decides who may do what, through RBAC, and
every post is checked there again. A verification code is put in a page exactly once, in the
answer to the post that entered its secret (never in a redirect, a cookie or a URL).
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from broker import rbac
from broker.actions import accounts
from broker.actions.accounts import AccountChange, AccountDetail, AccountInput, InvalidAccount
from broker.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from broker.models import ItemRole, Member
from broker.sessions import current_member
from broker.web import forms
from broker.web.templating import page, templates

PATH = "/accounts"
ITEM_ROLES = {ItemRole.OWNER: "Owner", ItemRole.COLLABORATOR: "Collaborator"}
_FIELDS = ("name", "app_name", "login_url", "username")

# The header shows Accounts to every member and Activity to those who may have some.
templates.env.globals["can_create_items"] = rbac.can_create_items


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


async def account_list(request: Request) -> Response:
    return await _account_list(request, home=False)


async def home(request: Request) -> Response:
    """The signed-in home page: the same list, under a greeting."""
    return await _account_list(request, home=True)


async def _account_list(request: Request, *, home: bool) -> Response:
    member = await current_member(request)
    if member is None:
        return forms.sign_in_needed(request)
    query = request.query_params.get("q", "")
    try:
        listing = await run_in_threadpool(
            accounts.listing,
            forms.context_of(request),
            member.id,
            query=query,
            page=_page_number(request),
        )
    except DomainError:
        return forms.sign_in_needed(request)
    return page(
        request,
        "accounts.html",
        member=member,
        listing=listing,
        home=home,
        item_roles=ITEM_ROLES,
        may_open=rbac.can_create_items(member),
        pager_query=urlencode({"q": listing.query}) if listing.query else "",
    )


def _form_page(
    request: Request,
    member: Member,
    *,
    action: str,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    account: AccountDetail | None = None,
) -> Response:
    status = 400 if errors else 200
    return page(
        request,
        "account_form.html",
        status,
        member=member,
        action=action,
        values=values,
        errors=errors or {},
        account=account,
    )


def _errors_of(exc: InvalidInput) -> dict[str, str]:
    if isinstance(exc, InvalidAccount):
        return dict(exc.problems)
    return {exc.field or "name": exc.message}


async def new_form(request: Request) -> Response:
    member = await current_member(request)
    if member is None:
        return forms.sign_in_needed(request)
    if not rbac.can_create_items(member):
        return forms.not_allowed(request, member, what="adding accounts")
    return _form_page(request, member, action=f"{PATH}/new", values={})


async def create(request: Request) -> Response:
    posted = await forms.posted(request)
    if isinstance(posted, Response):
        return posted
    member, fields = posted.member, posted.fields
    data = AccountInput(
        name=fields.get("name", ""),
        app_name=fields.get("app_name", ""),
        login_url=fields.get("login_url", ""),
        username=fields.get("username", ""),
        password=fields.get("password", ""),
        totp_secret=fields.get("totp_secret", ""),
    )
    try:
        added = await run_in_threadpool(accounts.create, forms.context_of(request), member.id, data)
    except InvalidInput as exc:
        values = {k: fields.get(k, "") for k in _FIELDS}  # never the secrets
        return _form_page(
            request, member, action=f"{PATH}/new", values=values, errors=_errors_of(exc)
        )
    except PermissionDenied:
        return forms.not_allowed(request, member, what="adding accounts")
    if added.code is None:
        return forms.done(request, f"{PATH}/{added.id}", f"The account “{added.name}” is added.")
    return page(
        request,
        "account_code.html",
        member=member,
        headline=f"The account “{added.name}” is added",
        account_name=added.name,
        account_id=added.id,
        code=added.code,
    )


async def _detail(request: Request, member: Member) -> AccountDetail | Response:
    account_id: str = request.path_params["account_id"]
    try:
        detail = await run_in_threadpool(
            accounts.detail, forms.context_of(request), member.id, account_id
        )
    except DomainError:
        return forms.not_found(request, member)
    if not detail.can_manage:
        return forms.not_allowed(request, member, what="changing this account")
    return detail


async def edit_form(request: Request) -> Response:
    member = await current_member(request)
    if member is None:
        return forms.sign_in_needed(request)
    detail = await _detail(request, member)
    if isinstance(detail, Response):
        return detail
    values = {k: getattr(detail, k) for k in _FIELDS}
    return _form_page(
        request, member, action=f"{PATH}/{detail.id}/edit", values=values, account=detail
    )


async def edit(request: Request) -> Response:
    posted = await forms.posted(request)
    if isinstance(posted, Response):
        return posted
    member, fields = posted.member, posted.fields
    account_id: str = request.path_params["account_id"]
    change = AccountChange(
        name=fields.get("name"),
        app_name=fields.get("app_name"),
        login_url=fields.get("login_url"),
        username=fields.get("username"),
        password=fields.get("password") or None,
        totp_secret=fields.get("totp_secret") or None,
        remove_code=fields.get("remove_code") == "yes",
    )
    ctx = forms.context_of(request)
    try:
        code = await run_in_threadpool(accounts.update, ctx, member.id, account_id, change)
    except InvalidInput as exc:
        detail = await _detail(request, member)
        if isinstance(detail, Response):
            return detail
        values = {k: fields.get(k, "") for k in _FIELDS}
        return _form_page(
            request,
            member,
            action=f"{PATH}/{account_id}/edit",
            values=values,
            errors=_errors_of(exc),
            account=detail,
        )
    except NotFound:
        return forms.not_found(request, member)
    except PermissionDenied:
        return forms.not_allowed(request, member, what="changing this account")
    if code is None:
        return forms.done(request, f"{PATH}/{account_id}", "The account is saved.")
    detail = await _detail(request, member)
    name = detail.name if isinstance(detail, AccountDetail) else "the account"
    return page(
        request,
        "account_code.html",
        member=member,
        headline=f"The verification code of “{name}” is replaced",
        account_name=name,
        account_id=account_id,
        code=code,
    )


async def delete_confirm(request: Request) -> Response:
    member = await current_member(request)
    if member is None:
        return forms.sign_in_needed(request)
    detail = await _detail(request, member)
    if isinstance(detail, Response):
        return detail
    return page(request, "account_delete.html", member=member, account=detail)


async def delete(request: Request) -> Response:
    posted = await forms.posted(request)
    if isinstance(posted, Response):
        return posted
    member = posted.member
    account_id: str = request.path_params["account_id"]
    try:
        name = await run_in_threadpool(
            accounts.delete, forms.context_of(request), member.id, account_id
        )
    except NotFound:
        # Deleted in another tab, or never visible: the list says what is true now.
        return forms.stale(request, PATH, "That account no longer exists.")
    except PermissionDenied:
        return forms.not_allowed(request, member, what="deleting this account")
    except Conflict as exc:
        return forms.stale(request, f"{PATH}/{account_id}", exc.message)
    return forms.done(request, PATH, f"The account “{name}” is deleted.")


def routes() -> list[BaseRoute]:
    # Before `account_pages`, whose `/accounts/{id}/{kind}` would otherwise take these paths.
    return [
        Route(PATH, account_list, methods=["GET"]),
        Route(f"{PATH}/new", new_form, methods=["GET"]),
        Route(f"{PATH}/new", create, methods=["POST"]),
        Route(PATH + "/{account_id}/edit", edit_form, methods=["GET"]),
        Route(PATH + "/{account_id}/edit", edit, methods=["POST"]),
        Route(PATH + "/{account_id}/delete", delete_confirm, methods=["GET"]),
        Route(PATH + "/{account_id}/delete", delete, methods=["POST"]),
    ]
