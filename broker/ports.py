"""What the broker needs from the world above it, as ports the composition root plugs in.

The broker imports neither sync nor the sandbox (DESIGN.md, "Layers"); where a use case needs
something only they can do — asking Okta whether a domain and token work — it names the need here
as a Protocol, and `latchkey` (or a test) hands an implementation to `create_app`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ConnectionResult:
    ok: bool
    summary: str  # "Connected." or Okta's error, e.g. "401 E0000011: Invalid token provided"
    recorded: bool  # whether it says something about the token (so its status is updated)
    broker_app: str | None = None  # may the token keep the broker's own OIDC app assigned?
    # The same in a person's words, the code after: "Okta refused the token (401 E0000011)".
    plain: str = ""

    @property
    def message(self) -> str:
        """What Settings shows after Test connection."""
        if self.ok:
            access = f" {self.broker_app}" if self.broker_app else ""
            return f"Connection OK: Okta accepted the API token.{access}"
        return f"Connection failed: {self.plain or self.summary}"


class OktaConnectionCheck(Protocol):
    """**Test connection**: one Management API call with this domain and API token.

    `recorded` is True when Okta's answer says something about the token: accepted, or refused
    (401 `E0000011`, or 403 when it may not read apps). A timeout, a 5xx or a 429 says nothing
    about it. The token must never be logged, shown or returned.
    """

    async def __call__(self, domain: str, token: str) -> ConnectionResult: ...


OKTA_CHECK_STATE = "okta_check"  # where `create_app` keeps the check on `app.state`


def okta_check_of(app_state: object) -> OktaConnectionCheck | None:
    """The check the app was created with (`request.app.state`), or None."""
    check: OktaConnectionCheck | None = getattr(app_state, OKTA_CHECK_STATE, None)
    return check
