"""Sharing pages for an account or a collection (`/accounts/{id}/sharing`,
`/collections/{id}/sharing`): who has access, with which role, through which path; share with a
member or a team; change a role; remove.

A share of an item that reaches extended accounts is confirmed on a page of its own, which says
how many people will get the chiclet (`broker.actions.shares.preview`); the confirmation posts the
same form again with `confirmed=yes`, and the action checks everything once more.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from broker.actions import shares
from broker.actions.shares import Subject, Target
from broker.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from broker.models import ItemRole, Member
from broker.sessions import current_member
from broker.web import forms
from broker.web.account_list_pages import ITEM_ROLES
from broker.web.templating import page, templates

templates.env.globals["subject_value"] = shares.subject_value
_WHAT = "changing who has access"


def _target(request: Request) -> tuple[Target, str]:
    """The item of the path, and the path of its own page."""
    if "account_id" in request.path_params:
        account_id: str = request.path_params["account_id"]
        return Target(account_id=account_id), f"/accounts/{account_id}"
    collection_id: str = request.path_params["collection_id"]
    return Target(collection_id=collection_id), f"/collections/{collection_id}"


async def _sharing_page(
    request: Request,
    member: Member,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    target, item_path = _target(request)
    try:
        item = await run_in_threadpool(shares.access, forms.context_of(request), member.id, target)
    except DomainError:
        return forms.not_found(request, member)
    return page(
        request,
        "sharing.html",
        400 if errors else 200,
        member=member,
        item=item,
        item_path=item_path,
        sharing_path=f"{item_path}/sharing",
        item_roles=ITEM_ROLES,
        errors=errors or {},
        values=values or {},
    )


async def sharing(request: Request) -> Response:
    member = await current_member(request)
    if member is None:
        return forms.sign_in_needed(request)
    return await _sharing_page(request, member)


async def _refusal(
    request: Request, member: Member, exc: DomainError, fields: dict[str, str]
) -> Response:
    _, item_path = _target(request)
    if isinstance(exc, InvalidInput):
        errors = {exc.field or "subject": exc.message}
        return await _sharing_page(request, member, errors=errors, values=fields)
    if isinstance(exc, NotFound):
        return forms.not_found(request, member)
    if isinstance(exc, PermissionDenied):
        return forms.not_allowed(request, member, what=_WHAT)
    # A Conflict: the last Owner, or a share already gone in another tab.
    return forms.stale(request, f"{item_path}/sharing", exc.message)


async def share(request: Request) -> Response:
    posted = await forms.posted(request)
    if isinstance(posted, Response):
        return posted
    member, fields = posted.member, posted.fields
    target, item_path = _target(request)
    ctx = forms.context_of(request)
    role = fields.get("role", "")
    try:
        subject = shares.parse_subject(fields.get("subject", ""))
        if fields.get("confirmed") != "yes":
            preview = await run_in_threadpool(shares.preview, ctx, member.id, target, subject, role)
            if preview.is_new and preview.extended_accounts:
                access = await run_in_threadpool(shares.access, ctx, member.id, target)
                return _confirm_page(request, member, access.name, target, preview, subject)
        name = await run_in_threadpool(shares.grant, ctx, member.id, target, subject, role)
    except DomainError as exc:
        return await _refusal(request, member, exc, fields)
    role_name = ITEM_ROLES[ItemRole(role)]
    said = name[:1].upper() + name[1:]  # "team “Ops”" starts a sentence here
    return forms.done(request, f"{item_path}/sharing", f"{said} is now {role_name}.")


def _confirm_page(
    request: Request,
    member: Member,
    item_name: str,
    target: Target,
    preview: shares.Preview,
    subject: Subject,
) -> Response:
    _, item_path = _target(request)
    context: dict[str, Any] = {
        "member": member,
        "item_name": item_name,
        "kind": "account" if target.account_id else "collection",
        "preview": preview,
        "subject": shares.subject_value(subject),
        "sharing_path": f"{item_path}/sharing",
        "item_roles": ITEM_ROLES,
    }
    return page(request, "share_confirm.html", **context)


async def remove(request: Request) -> Response:
    posted = await forms.posted(request)
    if isinstance(posted, Response):
        return posted
    member, fields = posted.member, posted.fields
    target, item_path = _target(request)
    try:
        subject = shares.parse_subject(fields.get("subject", ""))
        name = await run_in_threadpool(
            shares.revoke, forms.context_of(request), member.id, target, subject
        )
    except Conflict as exc:
        return forms.stale(request, f"{item_path}/sharing", exc.message)
    except DomainError as exc:
        return await _refusal(request, member, exc, fields)
    return forms.done(request, f"{item_path}/sharing", f"The share with {name} is removed.")


def routes() -> list[BaseRoute]:
    found: list[BaseRoute] = []
    for base in ("/accounts/{account_id}", "/collections/{collection_id}"):
        found += [
            Route(f"{base}/sharing", sharing, methods=["GET"]),
            Route(f"{base}/sharing/share", share, methods=["POST"]),
            Route(f"{base}/sharing/remove", remove, methods=["POST"]),
        ]
    return found
