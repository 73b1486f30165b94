"""Request bodies as Okta's clients send them, and types shared by the Management API tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sandbox.org.limits import org_clock
from sandbox.serve import RunningOrg

TOKEN = "00test-api-token-for-the-sandbox"

MakeApp = Callable[..., dict[str, Any]]


def bookmark(label: str, url: str = "https://broker.example/launch/acc1") -> dict[str, Any]:
    return {
        "name": "bookmark",
        "label": label,
        "signOnMode": "BOOKMARK",
        "settings": {"app": {"url": url, "requestIntegration": False}},
    }


def fresh_window(org: RunningOrg, window: float = 60.0, need: float = 10.0) -> None:
    """Wait, if need be, so that `need` org seconds are left in the current rate-limit window.

    Windows are aligned to the org clock; a test that counts calls in one window must not
    straddle two.
    """
    clock = org_clock(org.ctx)
    left = window - clock.now() % window
    if left < need:
        time.sleep(clock.real_seconds(left) + 0.01)
