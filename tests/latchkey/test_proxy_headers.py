"""`latchkey serve` behind a reverse proxy: what it takes from forwarded headers, and what not.

With `--proxy-headers`, uvicorn takes the client address (X-Forwarded-For) and scheme
(X-Forwarded-Proto) from a peer listed in FORWARDED_ALLOW_IPS, and only from one; the broker logs
that address. Every URL the broker hands out (the OIDC redirect URI, launch paths) comes from
LATCHKEY_BROKER_URL, whatever X-Forwarded-Host or X-Forwarded-Proto claim.
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from broker.db import make_engine
from broker.migrate import upgrade
from sandbox.org.state import OidcClient
from sandbox.serve import serve_org
from tests.deployment import Broker, Processes, free_port

pytestmark = pytest.mark.slow

PUBLIC = "https://latchkey.example.com"  # what the proxy serves, with TLS
FORWARDED = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "evil.example",
}


@pytest.mark.parametrize(
    ("flags", "allowed", "logged"),
    [
        (["--proxy-headers"], "127.0.0.1", "203.0.113.9"),  # the proxy is trusted
        (["--proxy-headers"], "192.0.2.1", "127.0.0.1"),  # a peer that is not the proxy
        ([], "127.0.0.1", "127.0.0.1"),  # not behind a proxy: headers ignored
    ],
)
def test_only_a_trusted_proxy_names_the_client_and_no_header_moves_our_urls(
    flags: list[str], allowed: str, logged: str, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'latchkey.db'}"
    engine = make_engine(database)
    upgrade(engine)
    engine.dispose()
    store = Broker(database, tmp_path)
    port = free_port()
    secret = secrets.token_urlsafe(24)
    with serve_org(api_token="00" + secrets.token_urlsafe(30)) as org:
        org.ctx.state.add_oidc_client(OidcClient("0oaProxied", secret, [f"{PUBLIC}/auth/callback"]))
        env = store.env(
            LATCHKEY_BROKER_URL=PUBLIC,
            LATCHKEY_OIDC_ISSUER=org.url,
            LATCHKEY_OIDC_CLIENT_ID="0oaProxied",
            LATCHKEY_OIDC_CLIENT_SECRET=secret,
            LATCHKEY_WORKSPACE="Acme",
            FORWARDED_ALLOW_IPS=allowed,
        )
        processes = Processes(tmp_path)
        try:
            processes.start("serve", ["serve", "--port", str(port), *flags], env)
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"{base}/healthz", timeout=2)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, processes.output("serve")
                    time.sleep(0.2)
            sign_in = httpx.get(f"{base}/auth/login", headers=FORWARDED)
        finally:
            _, stderr = processes.stop("serve")
            store.close()

    assert sign_in.status_code in (302, 303), sign_in.text
    authorize = parse_qs(urlsplit(sign_in.headers["location"]).query)
    assert authorize["redirect_uri"] == [f"{PUBLIC}/auth/callback"]
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("path") == "/auth/login"]
    assert [r["client"] for r in requests] == [logged]
