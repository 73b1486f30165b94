"""Test connection's second question: may this token keep the broker's OIDC app assigned?

`sync` can keep the broker's own OIDC app assigned to everyone with a chiclet
(`sync/broker_access.py`). That needs the token to read the app and change its assignments
(`okta.apps.manage` for a service app; an admin role over the app for an API token). Reading is
asked directly; managing is asked without changing anything, by assigning again a user who is
assigned directly already: Okta answers 409 `E0000062` when the token may assign and 403 when it
may not. With nobody assigned directly, the answer stays open, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from sync.okta.client import OktaClient
from sync.okta.errors import Forbidden, OktaError


@dataclass(frozen=True)
class BrokerAppAccess:
    readable: bool
    manageable: bool | None  # None: could not tell without changing an assignment
    summary: str


async def check_broker_app(client: OktaClient, app_id: str) -> BrokerAppAccess:
    """What the token may do with the broker's app `app_id` (its OIDC client id)."""
    try:
        app = await client.get_app(app_id)
    except Forbidden as exc:
        return BrokerAppAccess(False, False, f"The token may not read Latchkey's app: {exc}")
    if app is None:
        return BrokerAppAccess(
            False, False, f"Okta has no app {app_id}: check Latchkey's OIDC client id."
        )
    try:
        scopes = await client.list_app_user_scopes(app_id)
        direct = next((user for user, held in scopes.items() if held == "USER"), None)
        if direct is None:
            return BrokerAppAccess(
                True,
                None,
                f"The token can read Latchkey's app {app.label!r}; whether it may change its "
                "assignments shows once one person is assigned to it directly.",
            )
        await client.assign_user(app_id, direct)  # 409 when allowed: nothing changes
    except Forbidden as exc:
        return BrokerAppAccess(
            True, False, f"The token may not change who is assigned to Latchkey's app: {exc}"
        )
    except OktaError as exc:
        return BrokerAppAccess(True, None, f"Okta could not say: {exc}")
    return BrokerAppAccess(True, True, f"The token can keep Latchkey's app {app.label!r} assigned.")
