"""The sign-in page as Okta Identity Engine's Sign-In Widget shows it, behind a switch
(`PUT /_sandbox/oidc/signin {"style": "identity_engine"}`; `"classic"` is the default).

Identity Engine asks one thing per page, carried between pages by an opaque `stateHandle`
(https://developer.okta.com/docs/guides/oie-embedded-common-org-setup/ , the IDX flow): first the
identifier (`identifier`, *Next*), then the password (`credentials.passcode`, *Verify*), then,
when the org's enrollment policy offers optional authenticators, *Set up security methods* with a
*Set up later* button (the `select-authenticator-enroll` remediation). The sandbox offers Okta
Verify and Phone there but can set up neither: choosing one says so; *Set up later* signs in.
The field names and `data-se` hooks are the widget's, so a script written for a real org's page
finds the same elements here.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sandbox.org.context import OrgContext
from sandbox.org.state import OrgUser
from sandbox.org.templating import page

STYLES = ("classic", "identity_engine")
_STYLE = "oidc.signin_style"
_PENDING = "oidc.signin_pending"
_MAX_PENDING = 1000  # sign-ins begun and not finished; the oldest are forgotten first
AUTHENTICATORS = {"okta_verify": "Okta Verify", "phone_number": "Phone"}


@dataclass
class _Pending:
    from_uri: str
    identifier: str
    password_ok: bool = False


def style(ctx: OrgContext) -> str:
    return str(ctx.parts.get(_STYLE, "classic"))


def set_style(ctx: OrgContext, value: str) -> None:
    if value not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}")
    ctx.parts[_STYLE] = value


def _pending(ctx: OrgContext) -> OrderedDict[str, _Pending]:
    found = ctx.parts.setdefault(_PENDING, OrderedDict())
    assert isinstance(found, OrderedDict)
    return found


def _begin(ctx: OrgContext, state: _Pending) -> str:
    handle = secrets.token_urlsafe(24)
    pending = _pending(ctx)
    pending[handle] = state
    while len(pending) > _MAX_PENDING:
        pending.popitem(last=False)
    return handle


def _show(
    request: Request, step: str, status: int = 200, *, handle: str = "", **context: object
) -> Response:
    return page(request, "signin_ie.html", status, step=step, state_handle=handle, **context)


async def first_page(request: Request, from_uri: str) -> Response:
    return _show(request, "identify", handle="", from_uri=from_uri, identifier="", error=None)


async def answer(
    request: Request,
    ctx: OrgContext,
    from_uri: str,
    check: Callable[[OrgUser | None, str], bool],
    sign_in: Callable[[Response, OrgUser], None],
) -> Response:
    """One POST of the flow: the identifier, the password or the authenticator choice."""
    async with request.form() as form:
        fields = {k: str(v) for k, v in form.items()}
    handle = fields.get("stateHandle", "")
    pending = _pending(ctx)
    if not handle:  # the identify page
        identifier = fields.get("identifier", "").strip()
        if not identifier:
            return _show(
                request,
                "identify",
                400,
                from_uri=from_uri,
                identifier="",
                error="This field cannot be left blank",
            )
        # Identity Engine does not say here whether the user exists (no enumeration).
        new = _begin(ctx, _Pending(from_uri, identifier))
        return _show(request, "password", handle=new, identifier=identifier, error=None)
    state = pending.get(handle)
    if state is None:
        return _show(
            request,
            "identify",
            401,
            from_uri=from_uri,
            identifier="",
            error="The session has expired. Sign in again.",
        )
    if not state.password_ok:
        user = ctx.state.user_by_login(state.identifier)
        if not check(user, fields.get("credentials.passcode", "")):
            return _show(
                request,
                "password",
                401,
                handle=handle,
                identifier=state.identifier,
                error="Password is incorrect",
            )
        state.password_ok = True
        return _show(request, "enroll", handle=handle, choices=AUTHENTICATORS, error=None)
    choice = fields.get("authenticator", "")
    if choice != "skip":
        label = AUTHENTICATORS.get(choice, "That method")
        return _show(
            request,
            "enroll",
            400,
            handle=handle,
            choices=AUTHENTICATORS,
            error=f"{label} cannot be set up in the sandbox org. Set it up later.",
        )
    pending.pop(handle, None)
    user = ctx.state.user_by_login(state.identifier)
    if user is None or user.status != "ACTIVE":  # deactivated between the pages
        return _show(
            request,
            "identify",
            401,
            from_uri=from_uri,
            identifier="",
            error="Unable to sign in",
        )
    response = RedirectResponse(state.from_uri, status_code=303)
    sign_in(response, user)
    return response
