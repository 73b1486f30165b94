"""Two `latchkey serve` processes (two hosts behind a proxy, here two ports of one host) on one
PostgreSQL database: whatever replica a request lands on, the broker is one.

The browser starts a chiclet launch on the first replica (it has no session: the sign-in
transaction is written there), Okta sends it back to the callback, which the proxy hands to the
second replica; the session made there then opens the launch page on the first. Nothing a
request needs lives in one process's memory (docs/deploy.md, "Worker processes and replicas").
Skipped, saying so, without PostgreSQL.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.serve import serve_org
from tests.deployment import Broker, Processes, free_port, postgres_database, sign_in_world

pytestmark = pytest.mark.slow

CLIENT_ID = "0oaLatchkeyReplicas"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Broker]:
    with postgres_database() as url:
        broker = Broker(url, tmp_path)
        try:
            yield broker
        finally:
            broker.close()


def wait_until_ready(base: str, process: object) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or getattr(process, "poll", lambda: None)() is not None:
            pytest.fail(f"latchkey serve at {base} did not become ready")
        time.sleep(0.2)


def test_a_launch_begun_on_one_replica_completes_on_the_other(
    store: Broker, tmp_path: Path
) -> None:
    ports = free_port(), free_port()
    first, second = (f"http://127.0.0.1:{port}" for port in ports)
    public = first  # the URL the proxy serves (LATCHKEY_BROKER_URL): the same for both
    with serve_org(api_token="00" + secrets.token_urlsafe(30)) as org:
        seeded = sign_in_world(store, org, public, CLIENT_ID)
        user, env = seeded.user, seeded.env
        processes = Processes(tmp_path)
        try:
            for name, port in zip(("first", "second"), ports, strict=True):
                replica = processes.start(name, ["serve", "--port", str(port)], env)
                wait_until_ready(f"http://127.0.0.1:{port}", replica)

            with httpx.Client() as browser:  # one cookie jar for 127.0.0.1, as a browser keeps
                signed_in = browser.post(
                    f"{org.url}/_sandbox/oidc/sessions", json={"login": user.login}
                )
                assert signed_in.status_code == 201
                # The chiclet: no broker session yet, so the first replica starts a sign-in.
                hop = browser.get(f"{first}/launch/{seeded.account_id}")
                while not str(hop.headers.get("location", "")).startswith(public + "/auth/"):
                    assert hop.next_request is not None, hop.text
                    hop = browser.send(hop.next_request)
                callback = hop.headers["location"]
                assert callback.startswith(f"{public}/auth/callback?")
                # The proxy hands the callback to the second replica.
                done = browser.get(second + callback.removeprefix(public))
                assert done.status_code == 303, done.text
                assert done.headers["location"] == f"/launch/{seeded.account_id}"
                assert browser.cookies.get("latchkey_session")

                # Back on the first replica: the session the second made opens the launch.
                page = browser.get(f"{first}/launch/{seeded.account_id}")
                again = browser.get(f"{second}/launch/{seeded.account_id}")
        finally:
            processes.stop_all()

    assert page.status_code == 200
    assert '<meta name="latchkey-grant" content="' in page.text
    assert again.status_code == 200
    assert '<meta name="latchkey-grant" content="' in again.text
