"""Workspace settings (`/settings`): the *Extend accounts to Okta* switch, IDP Domain, API token and
**Test connection** (DESIGN.md, "The user's journey", step 1). Owners, Super Admins and Admins only.

The pages run no script (see `templating`), so each confirmation dialog is a step of its own: the
switch is a button that opens `/settings/extended-access?turn=on|off`, a page whose open `<dialog>`
explains what happens and holds the form that does it.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from broker.actions import settings as settings_actions
from broker.actions.settings import SettingsChange
from broker.errors import DomainError, InvalidInput
from broker.models import Member
from broker.ports import okta_check_of
from broker.sessions import current_member
from broker.web import flash, forms
from broker.web.okta_domain import admin_console_org
from broker.web.templating import page

PATH = "/settings"
_WHAT = "workspace settings"
MESSAGES = {
    "enabled": "Extended account access is on. Account owners can now extend their accounts.",
    "disabled": "Extended account access is off. Syncing and extending have stopped.",
    "domain_saved": "The IDP Domain is saved.",
    "token_saved": "The API token is saved. Use Test connection to check it.",
}


async def _settings_page(
    request: Request,
    member: Member,
    status_code: int = 200,
    *,
    errors: dict[str, str] | None = None,
    domain_value: str | None = None,
    admin_console_org: str | None = None,
) -> Response:
    try:
        snapshot = await run_in_threadpool(
            settings_actions.read, forms.context_of(request), member.id
        )
    except DomainError:
        return forms.not_allowed(request, member, what=_WHAT)
    return page(
        request,
        "settings.html",
        status_code,
        member=member,
        settings=snapshot,
        errors=errors or {},
        domain_value=snapshot.okta_domain if domain_value is None else domain_value,
        admin_console_org=admin_console_org,
    )


async def settings(request: Request) -> Response:
    member = await current_member(request)
    if member is None:
        return forms.sign_in_needed(request)
    return await _settings_page(request, member)


async def confirm_switch(request: Request) -> Response:
    """The confirmation dialog, as a page: what turning the feature on or off does."""
    member = await current_member(request)
    if member is None:
        return forms.sign_in_needed(request)
    try:
        await run_in_threadpool(
            settings_actions.require_toggle, forms.context_of(request), member.id
        )
    except DomainError:
        return forms.not_allowed(request, member, what=_WHAT)
    turn_on = request.query_params.get("turn") == "on"
    return page(request, "settings_switch.html", member=member, turn_on=turn_on)


async def _admin_post(request: Request) -> forms.Form | Response:
    posted = await forms.posted(request)
    if isinstance(posted, forms.Form):
        ctx, member = forms.context_of(request), posted.member
        try:
            await run_in_threadpool(settings_actions.require_access, ctx, member.id)
        except DomainError:
            return forms.not_allowed(request, member, what=_WHAT)
    return posted


async def set_switch(request: Request) -> Response:
    posted = await _admin_post(request)
    if isinstance(posted, Response):
        return posted
    choice = posted.fields.get("enabled")
    if choice not in ("on", "off"):
        errors = {"extended_access": "Choose whether to turn the feature on or off."}
        return await _settings_page(request, posted.member, 400, errors=errors)
    enabled = choice == "on"
    change = SettingsChange(extended_access=enabled)
    return await _apply(request, posted.member, change, "enabled" if enabled else "disabled")


async def set_domain(request: Request) -> Response:
    posted = await _admin_post(request)
    if isinstance(posted, Response):
        return posted
    domain = posted.fields.get("okta_domain", "")
    org = admin_console_org(domain)
    if org is not None:
        # The Admin Console's address answers neither sign-in nor the Management API.
        errors = {
            "okta_domain": "This is the address of Okta's Admin Console, not of your Okta "
            f"organisation. Use {org} instead."
        }
        return await _settings_page(
            request, posted.member, 400, errors=errors, domain_value=domain, admin_console_org=org
        )
    change = SettingsChange(okta_domain=domain)
    return await _apply(request, posted.member, change, "domain_saved", domain_value=domain)


async def set_token(request: Request) -> Response:
    posted = await _admin_post(request)
    if isinstance(posted, Response):
        return posted
    change = SettingsChange(okta_token=posted.fields.get("okta_token", ""))
    return await _apply(request, posted.member, change, "token_saved")


async def _apply(
    request: Request,
    member: Member,
    change: SettingsChange,
    outcome: str,
    *,
    domain_value: str | None = None,
) -> Response:
    ctx = forms.context_of(request)
    try:
        await run_in_threadpool(settings_actions.change, ctx, member.id, change)
    except InvalidInput as exc:
        # The page again with the field's error; the rejected token is never put back.
        errors = {exc.field or "form": exc.message}
        return await _settings_page(request, member, 400, errors=errors, domain_value=domain_value)
    except DomainError:
        return forms.not_allowed(request, member, what=_WHAT)
    return forms.done(request, PATH, MESSAGES[outcome])


async def check_connection(request: Request) -> Response:
    """Post-redirect-get like every form: Okta's answer travels in the flash message (a failure
    that says nothing about the token, a timeout or a 5xx, is recorded nowhere else), shown at
    the top of the page, and a reload does not call Okta again."""
    posted = await _admin_post(request)
    if isinstance(posted, Response):
        return posted
    member = posted.member
    check = okta_check_of(request.app.state)
    try:
        result = await settings_actions.test_connection(forms.context_of(request), member.id, check)
    except DomainError:
        return forms.not_allowed(request, member, what=_WHAT)
    if result.ok:
        return flash.redirect(request, PATH, success=result.message)
    return flash.redirect(request, PATH, error=result.message)


def routes() -> list[BaseRoute]:
    return [
        Route(PATH, settings, methods=["GET"]),
        Route(f"{PATH}/extended-access", confirm_switch, methods=["GET"]),
        Route(f"{PATH}/extended-access", set_switch, methods=["POST"]),
        Route(f"{PATH}/okta-domain", set_domain, methods=["POST"]),
        Route(f"{PATH}/okta-token", set_token, methods=["POST"]),
        Route(f"{PATH}/test-connection", check_connection, methods=["POST"]),
    ]
