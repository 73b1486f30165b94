"""`latchkey demo --serve` tells a person what to type back in: the sign-in users and the org's
API token (Settings -> API token after someone tried another one)."""

from __future__ import annotations

import os
import signal
import threading
from types import SimpleNamespace
from typing import Any

from rich.console import Console

from latchkey import demo
from sandbox.seed import SEED_USERS


def test_serve_prints_the_sandbox_token_and_the_sign_in_users() -> None:
    token = "00" + "t" * 40  # the fake org's token, printed on purpose for the demo
    stopped = threading.Event()

    def keep_syncing(stop: threading.Event) -> None:
        stop.wait()
        stopped.set()

    stack: Any = SimpleNamespace(
        dashboard_url="http://127.0.0.1:1/app/UserHome",
        broker_url="http://127.0.0.1:2",
        sites_url="http://127.0.0.1:3",
        org_url="http://127.0.0.1:1",
        org=SimpleNamespace(ctx=SimpleNamespace(api_token=token)),
        keep_syncing=keep_syncing,
    )
    console = Console(record=True, width=100)
    # `kill` stops it as Ctrl-C does: send SIGTERM once it is serving.
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM)).start()

    demo._serve_until_interrupted(console, stack)

    out = console.export_text()
    assert f"Okta API token of the sandbox org: {token}" in out
    for user in SEED_USERS:
        assert user.login in out
        assert user.password in out
    assert "Stopping." in out
    assert stopped.is_set()
