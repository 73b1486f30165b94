"""Collections (`/collections`, `/collections/new`, `/collections/{id}`): the list, a collection's
page with its accounts (each with its own Okta state) and sub-collections, and its forms: rename,
move, delete, put an account in or take it out, *Extend collection*, *Sync collection manually*
and *Remove from Okta*. The sharing page (`/collections/{id}/sharing`) is `share_pages`'.

Every form posts to `broker.actions.collections`, which asks RBAC again; the buttons drawn follow
the snapshot. Anyone who may not see a collection gets the same 404 as for one that does not
exist. Confirmations (delete, extend, remove) are pages with an open `<dialog>`: no script.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from broker import rbac
from broker.actions import collections
from broker.actions.collection_views import CollectionSnapshot
from broker.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from broker.models import Member
from broker.sessions import current_member
from broker.web import forms
from broker.web.templating import page

_WHAT = "this action on the collection"
_CONFIRMS: dict[str, Callable[[CollectionSnapshot], bool]] = {
    "delete": lambda c: c.can_manage,
    "extend": lambda c: c.can_extend,
    "remove": lambda c: c.can_remove_from_okta,
}


def path_of(collection_id: str) -> str:
    return f"/collections/{collection_id}"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _accounts_stay(n: int) -> str:
    if n == 0:
        return "It held no account."
    if n == 1:
        return "The 1 account in it stays in Latchkey, out of the collection."
    return f"The {n} accounts in it stay in Latchkey, out of the collection."


async def _member(request: Request) -> Member | Response:
    member = await current_member(request)
    return forms.sign_in_needed(request) if member is None else member


async def listing(request: Request) -> Response:
    member = await _member(request)
    if isinstance(member, Response):
        return member
    rows = await run_in_threadpool(collections.listing, forms.context_of(request), member.id)
    return page(
        request,
        "collections.html",
        member=member,
        rows=rows,
        can_create=rbac.can_create_items(member),
    )


async def _load(request: Request) -> tuple[Member, CollectionSnapshot] | Response:
    member = await _member(request)
    if isinstance(member, Response):
        return member
    collection_id: str = request.path_params["collection_id"]
    try:
        found = await run_in_threadpool(
            collections.collection, forms.context_of(request), member.id, collection_id
        )
    except DomainError:
        return forms.not_found(request, member)
    return member, found


async def collection(request: Request) -> Response:
    loaded = await _load(request)
    if isinstance(loaded, Response):
        return loaded
    member, found = loaded
    return page(request, "collection.html", member=member, collection=found)


def _confirm(kind: str) -> Callable[[Request], Any]:
    async def confirm(request: Request) -> Response:
        loaded = await _load(request)
        if isinstance(loaded, Response):
            return loaded
        member, found = loaded
        if not _CONFIRMS[kind](found):
            return forms.not_allowed(request, member, what=_WHAT)
        return page(request, "collection_confirm.html", member=member, collection=found, kind=kind)

    return confirm


# -- creating ----------------------------------------------------------------------------


def _parents(request: Request, member: Member) -> list[Any]:
    """Collections the member owns: where a new one may go."""
    rows = collections.listing(forms.context_of(request), member.id)
    return [r for r in rows if r.role.value == "owner"]


async def new_form(request: Request) -> Response:
    member = await _member(request)
    if isinstance(member, Response):
        return member
    if not rbac.can_create_items(member):
        return forms.not_allowed(request, member, what="creating collections")
    parents = await run_in_threadpool(_parents, request, member)
    chosen = request.query_params.get("parent", "")
    return page(
        request, "collection_new.html", member=member, parents=parents, chosen=chosen, errors={}
    )


async def create(request: Request) -> Response:
    posted = await forms.posted(request)
    if isinstance(posted, Response):
        return posted
    member, fields = posted.member, posted.fields
    parent_id = fields.get("parent_id") or None
    name = fields.get("name", "")
    try:
        made = await run_in_threadpool(
            collections.create, forms.context_of(request), member.id, name, parent_id
        )
    except NotFound:
        return forms.not_found(request, member)
    except PermissionDenied:
        return forms.not_allowed(request, member, what="creating this collection")
    except DomainError as exc:
        parents = await run_in_threadpool(_parents, request, member)
        return page(
            request,
            "collection_new.html",
            400,
            member=member,
            parents=parents,
            chosen=parent_id or "",
            name_value=name,
            errors={exc.field or "name": exc.message},
        )
    return forms.done(request, path_of(made), f"The collection “{' '.join(name.split())}” is made.")


# -- changing ----------------------------------------------------------------------------


async def _act(
    request: Request,
    run: Callable[[Member, dict[str, str]], str],
    *,
    back: str | None = None,
) -> Response:
    """Post → action → redirect with its message; refusals as the account pages map them."""
    collection_id: str = request.path_params["collection_id"]
    posted = await forms.posted(request)
    if isinstance(posted, Response):
        return posted
    member = posted.member
    try:
        message = await run_in_threadpool(run, member, posted.fields)
    except NotFound as exc:
        if exc.message == collections.NO_COLLECTION:
            return forms.not_found(request, member)
        return forms.stale(request, path_of(collection_id), exc.message)
    except PermissionDenied:
        return forms.not_allowed(request, member, what=_WHAT)
    except DomainError as exc:  # bad input, a stale tab, the feature off: say it on the page
        return forms.stale(request, path_of(collection_id), exc.message)
    return forms.done(request, back or path_of(collection_id), message)


def _ids(request: Request) -> tuple[Any, str]:
    return forms.context_of(request), request.path_params["collection_id"]


async def rename(request: Request) -> Response:
    ctx, cid = _ids(request)

    def run(member: Member, fields: dict[str, str]) -> str:
        collections.rename(ctx, member.id, cid, fields.get("name", ""))
        return "The collection is renamed."

    return await _act(request, run)


async def move(request: Request) -> Response:
    ctx, cid = _ids(request)

    def run(member: Member, fields: dict[str, str]) -> str:
        if "parent_id" not in fields:
            raise InvalidInput("Choose where to move the collection.", field="parent_id")
        collections.move(ctx, member.id, cid, fields["parent_id"] or None)
        return "The collection is moved."

    return await _act(request, run)


async def delete(request: Request) -> Response:
    ctx, cid = _ids(request)

    def run(member: Member, _fields: dict[str, str]) -> str:
        gone = collections.delete(ctx, member.id, cid)
        text = f"The collection “{gone.name}” is deleted. {_accounts_stay(gone.accounts)}"
        if gone.adopted:
            text += f" You are now the direct Owner of {_plural(gone.adopted, 'account')} "
            text += "that nobody else could run."
        return text

    return await _act(request, run, back="/collections")


async def add_account(request: Request) -> Response:
    ctx, cid = _ids(request)

    def run(member: Member, fields: dict[str, str]) -> str:
        account_id = fields.get("account_id", "")
        if not account_id:
            raise InvalidInput("Choose an account to add.", field="account_id")
        extended = collections.add_account(ctx, member.id, cid, account_id)
        return "The account is added to the collection" + (
            " and extended to Okta with it." if extended else "."
        )

    return await _act(request, run)


async def remove_account(request: Request) -> Response:
    ctx, cid = _ids(request)
    account_id: str = request.path_params["account_id"]

    def run(member: Member, _fields: dict[str, str]) -> str:
        adopted = collections.remove_account(ctx, member.id, cid, account_id)
        text = "The account is taken out of the collection; it stays in Latchkey."
        if adopted:
            text += " Nobody else could run it, so you are now its direct Owner."
        return text

    return await _act(request, run)


async def extend(request: Request) -> Response:
    ctx, cid = _ids(request)

    def run(member: Member, _fields: dict[str, str]) -> str:
        n = collections.extend(ctx, member.id, cid)
        return (
            f"The collection is extended to Okta: {_plural(n, 'account')} "
            f"{'shows' if n == 1 else 'show'} pending until the next sync. Accounts added to it "
            "later are extended too."
        )

    return await _act(request, run)


async def sync(request: Request) -> Response:
    ctx, cid = _ids(request)

    def run(member: Member, _fields: dict[str, str]) -> str:
        n = collections.sync(ctx, member.id, cid)
        return f"A sync of {_plural(n, 'extended account')} of this collection is queued."

    return await _act(request, run)


async def remove(request: Request) -> Response:
    ctx, cid = _ids(request)

    def run(member: Member, _fields: dict[str, str]) -> str:
        removal = collections.remove_from_okta(ctx, member.id, cid)
        text = (
            f"The collection is removed from Okta: {_plural(len(removal.removing), 'account')} "
            f"{'is' if len(removal.removing) == 1 else 'are'} being removed."
        )
        if removal.kept:
            text += (
                f" {_plural(len(removal.kept), 'account')} "
                f"{'stays' if len(removal.kept) == 1 else 'stay'} in Okta: extended on "
                "their own or by another extended collection."
            )
        return text

    return await _act(request, run)


def routes() -> list[BaseRoute]:
    base = "/collections/{collection_id}"
    return [
        Route("/collections", listing, methods=["GET"]),
        Route("/collections/new", new_form, methods=["GET"]),
        Route("/collections/new", create, methods=["POST"]),
        Route(base, collection, methods=["GET"]),
        # One GET per confirmation, named: `/collections/{id}/sharing` belongs to share_pages.
        *(Route(f"{base}/{kind}", _confirm(kind), methods=["GET"]) for kind in _CONFIRMS),
        Route(base + "/rename", rename, methods=["POST"]),
        Route(base + "/move", move, methods=["POST"]),
        Route(base + "/delete", delete, methods=["POST"]),
        Route(base + "/accounts", add_account, methods=["POST"]),
        Route(base + "/accounts/{account_id}/remove", remove_account, methods=["POST"]),
        Route(base + "/extend", extend, methods=["POST"]),
        Route(base + "/sync", sync, methods=["POST"]),
        Route(base + "/remove", remove, methods=["POST"]),
    ]
