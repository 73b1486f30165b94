"""What every extended-access page shares: who is asking, form posts, and the refusal pages.

A form post is read only after its CSRF token checks out against the session
(`broker.sessions.csrf_ok`); a missing or wrong token gets the *refused* page (403) and nothing
changes. A post answers with a redirect (POST-redirect-GET) carrying its outcome as a one-shot
flash message (`broker.web.flash`), so a reload never repeats the action or the message, and no
text from the URL is ever put into the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from broker import rbac
from broker.context import BrokerContext
from broker.models import Member
from broker.sessions import csrf_ok, current_member
from broker.web import flash
from broker.web.auth import return_path
from broker.web.templating import page, templates


def when(value: datetime | None) -> str:
    """A stored time as the pages show it (UTC, to the minute)."""
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


# The header links to the admin pages only for members the RBAC module lets in; the filter is
# for times on every page. Registered here, by the pages that need them.
templates.env.globals["can_edit_settings"] = rbac.can_edit_settings
templates.env.filters["when"] = when

# A form on these pages has a few short fields; anything larger is not one of ours.
_MAX_FIELD = 4096


def context_of(request: Request) -> BrokerContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, BrokerContext)
    return ctx


def sign_in_needed(request: Request) -> Response:
    """401, with a sign-in link that comes back here: to this page, or for a form post to the
    page that holds the form (`/accounts/x/sync` -> `/accounts/x`)."""
    path = request.url.path
    if request.method != "GET":
        path = path.rsplit("/", 1)[0] or "/"
    return page(request, "signin_needed.html", 401, next=return_path(path) or "/")


def not_allowed(
    request: Request,
    member: Member,
    *,
    what: str,
    reason: str | None = None,
    advice: str | None = None,
    back: tuple[str, str] | None = None,
) -> Response:
    """403: signed in, but this page or action is not for the member. Without `reason` and
    `advice` it says the workspace role is why and to ask an Admin; `back` is (path, label)."""
    return page(
        request,
        "not_allowed.html",
        403,
        member=member,
        what=what,
        reason=reason,
        advice=advice,
        back=back[0] if back else None,
        back_label=back[1] if back else None,
    )


def not_found(request: Request, member: Member | None) -> Response:
    """404: the same page for an unknown account and one the member may not open."""
    return page(request, "not_found.html", 404, member=member)


def refused(request: Request, member: Member | None) -> Response:
    """403 for a form without the session's CSRF token."""
    return page(request, "forbidden.html", 403, member=member)


async def read_form(request: Request) -> dict[str, str]:
    """The posted text fields (files and over-long values are dropped)."""
    async with request.form(max_files=0, max_fields=16) as form:
        return {
            key: value
            for key, value in form.items()
            if isinstance(value, str) and len(value) <= _MAX_FIELD
        }


@dataclass(frozen=True)
class Form:
    """A form post from a signed-in member whose CSRF token checked out."""

    member: Member
    fields: dict[str, str]


async def posted(request: Request) -> Form | Response:
    """The post, or the page refusing it: signed out (401) or a bad CSRF token (403)."""
    member = await current_member(request)
    if member is None:
        return sign_in_needed(request)
    fields = await read_form(request)
    if not csrf_ok(request, fields.get("csrf_token")):
        return refused(request, member)
    return Form(member, fields)


def done(request: Request, path: str, message: str) -> Response:
    """POST-redirect-GET to `path`, which then shows `message` once, as a success."""
    return flash.redirect(request, path, success=message)


def stale(request: Request, path: str, message: str) -> Response:
    """POST-redirect-GET to `path`, which then shows `message` once, as an error: the action
    was refused or out of date, and the page shows what is true now."""
    return flash.redirect(request, path, error=message)
