"""The admin API's JSON: snapshots written out, and request bodies read in and checked.

No secret is ever written: the Okta API token appears as `okta_token: {set, set_at, status, ...}`
and an account without its password. Times are RFC 3339 strings in UTC.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from starlette.requests import Request

from broker.actions.settings import SettingsChange
from broker.actions.snapshots import AccountSnapshot, MemberRow, SettingsSnapshot
from broker.admin_api.errors import AdminError, RequestTooLarge, UnsupportedMediaType
from broker.models import Member

MAX_BODY = 16 * 1024
_SETTINGS_FIELDS = {"extended_access": bool, "okta_domain": str, "okta_token": str}


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def settings_json(settings: SettingsSnapshot) -> dict[str, Any]:
    token = settings.token
    return {
        "extended_access": settings.extended_access,
        "okta_domain": settings.okta_domain,
        "okta_token": {
            "set": token.is_set,
            "set_at": _time(token.set_at),
            "status": token.status.value,
            "checked_at": _time(token.checked_at),
            "error": token.error,
            "needs_update": token.needs_update,
        },
    }


def account_json(account: AccountSnapshot) -> dict[str, Any]:
    extension = account.extension
    return {
        "id": account.id,
        "name": account.name,
        "app_name": account.app_name,
        "login_url": account.login_url,
        "username": account.username,
        "extended_access_enabled": account.feature_on,
        "okta": None
        if extension is None
        else {
            "extended_at": _time(extension.extended_at),
            "extended_by": extension.extended_by,
            "last_synced_at": _time(extension.last_synced_at),
            "sync_state": extension.state.value,
            "last_error": extension.last_error,
            "okta_app_id": extension.okta_app_id,
        },
        "allowed": {
            "extend": account.can_extend,
            "sync": account.can_sync,
            "remove": account.can_remove,
        },
    }


def member_json(member: Member | MemberRow) -> dict[str, Any]:
    return {
        "id": member.id,
        "name": member.name,
        "email": member.email,
        "role": member.role.value,
        "active": member.active,
        "okta_user_id": member.external_id,
    }


async def json_object(request: Request) -> dict[str, Any]:
    """The request's JSON object body (415, 413 or 400 otherwise)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMediaType("The body must be application/json.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise RequestTooLarge(f"The body is larger than {MAX_BODY} bytes.")
    try:
        value = json.loads(body)
    except ValueError:
        raise AdminError("The body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise AdminError("The body must be a JSON object.")
    return value


def settings_change(body: dict[str, Any]) -> SettingsChange:
    unknown = sorted(set(body) - set(_SETTINGS_FIELDS))
    if unknown:
        raise AdminError(f"Unknown field: {unknown[0]}.", field=unknown[0])
    for name, kind in _SETTINGS_FIELDS.items():
        if name in body and not isinstance(body[name], kind):
            raise AdminError(f"{name} must be a {kind.__name__}.", field=name)
    if not body:
        raise AdminError("Give at least one of: " + ", ".join(_SETTINGS_FIELDS) + ".")
    return SettingsChange(
        extended_access=body.get("extended_access"),
        okta_domain=body.get("okta_domain"),
        okta_token=body.get("okta_token"),
    )
