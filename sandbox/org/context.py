"""What every part of the sandbox org shares: its state, its URL and its credentials.

The management API (`management/`), the rate limiter (`limits.py`), the control plane
(`control.py`), the OIDC provider (`oidc/`), the End-User Dashboard (`dashboard.py`) and the SCIM
client (`scim_client.py`) each receive one `OrgContext`. A part that needs settings of its own keeps
them in its own module and hangs them here by a field with a default, so parts stay independent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.org.state import OrgState


@dataclass
class OrgContext:
    base_url: str  # "http://127.0.0.1:8410": the org URL and the OIDC issuer of the org server
    api_token: str  # accepted as `Authorization: SSWS <token>`
    state: OrgState = field(default_factory=OrgState)
    # Per-part runtime objects (limiter, fault injector, OIDC keys, ...), keyed by part name, so
    # that one part never needs to know another's types.
    parts: dict[str, Any] = field(default_factory=dict)
    # What `POST /_sandbox/reset` puts back after emptying the org (`sandbox.seed.apply`).
    seed: Callable[[OrgState], object] | None = None
