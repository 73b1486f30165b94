"""Health, readiness, Prometheus metrics and JSON logs that never hold a secret."""

from __future__ import annotations

import json
import logging
import re
import socket
from pathlib import Path

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from sqlalchemy.orm import sessionmaker

from broker.context import BrokerContext
from broker.db import make_engine
from broker.keyring import generate_keyring
from broker.ports import okta_check_of
from broker.web.app import create_app
from broker.web.logs import REDACTED, JsonFormatter
from latchkey.serve import APP_FACTORY, app_from_env, serve
from sync.connection_check import OktaConnectionCheck
from tests.broker.web.conftest import BROKER, Harness

pytestmark = pytest.mark.anyio

_GRANT_META = re.compile(r'<meta name="latchkey-grant" content="([^"]+)">')


async def test_healthz_and_readyz_answer(harness: Harness) -> None:
    health = await harness.browser.get(f"{BROKER}/healthz")
    ready = await harness.browser.get(f"{BROKER}/readyz")
    assert (health.status_code, health.json()) == (200, {"status": "ok", "service": "latchkey"})
    assert (ready.status_code, ready.json()["database"]) == (200, "ok")


async def test_readyz_fails_when_the_database_does_not_answer(
    harness: Harness, tmp_path: Path
) -> None:
    engine = make_engine("sqlite:///" + str(tmp_path))  # a directory is no database
    ctx = BrokerContext(harness.ctx.settings, sessionmaker(engine), harness.vault)
    app = create_app(ctx)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        health = await client.get(f"{BROKER}/healthz")
        ready = await client.get(f"{BROKER}/readyz")
    await app.state.relying_party.aclose()
    engine.dispose()
    assert health.status_code == 200
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "database": "unreachable"}


async def test_metrics_count_requests_sign_ins_and_launches(harness: Harness) -> None:
    user = harness.okta_user("ada@example.com")
    member = harness.member_for(user)
    with harness.build() as world:
        account = world.account()
        world.share(member, account)
    await harness.sign_in_and_launch(user, account.id)
    await harness.browser.get(f"{BROKER}/launch/nOsUcHaCcOuNt000000000")

    metrics = await harness.browser.get(f"{BROKER}/metrics")

    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'latchkey_signins_total{outcome="ok"} 1.0' in text
    assert 'latchkey_launches_total{outcome="granted"} 1.0' in text
    assert 'latchkey_launches_total{outcome="blocked"} 1.0' in text
    assert 'latchkey_http_requests_total{handler="launch",method="GET",status="200"}' in text
    assert "latchkey_http_request_duration_seconds_bucket" in text
    assert account.id not in text  # handlers, never paths, label the series


async def test_logs_never_hold_a_secret_of_the_journey(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    user = harness.okta_user("ada@example.com")
    member = harness.member_for(user)
    with harness.build() as world:
        account = world.account()
        world.share(member, account)
    caplog.set_level(logging.DEBUG, logger="latchkey")

    await harness.okta_session(user)
    journey = await harness.navigate(f"{BROKER}/launch/{account.id}")
    harness.misbehave(None)
    callback = journey.hop_to("/auth/callback").request.url
    await harness.browser.get(str(callback))  # a replay: logged as a failure
    grant = _GRANT_META.search(journey.final.text)
    assert grant is not None

    secrets_seen = {
        "authorization code": callback.params["code"],
        "state": callback.params["state"],
        "session cookie": harness.session_cookie() or "missing",
        "sign-in binder": harness.browser.cookies.get("latchkey_signin") or "missing",
        "grant": grant.group(1),
        "client secret": harness.ctx.settings.oidc_client_secret.reveal()
        if harness.ctx.settings.oidc_client_secret
        else "missing",
        "Okta password": harness.passwords[user.id],
    }
    formatter = JsonFormatter()
    lines = [formatter.format(r) for r in caplog.records if r.name.startswith("latchkey")]
    assert any('"path":"/auth/callback"' in line for line in lines)
    assert any('"reason":"bad_state"' in line for line in lines)
    for line in lines:
        json.loads(line)
        for what, value in secrets_seen.items():
            assert value not in line, f"{what} leaked into a log line"


def test_the_formatter_redacts_fields_named_like_secrets() -> None:
    record = logging.makeLogRecord(
        {
            "name": "latchkey.test",
            "msg": "hello",
            "levelname": "INFO",
            "grant": "g-123",
            "session_token": "t-123",
            "client_secret": "s-123",
            "code": "c-123",
            "account_id": "a-1",
        }
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["grant"] == line["session_token"] == line["client_secret"] == REDACTED
    assert line["code"] == REDACTED
    assert line["account_id"] == "a-1"
    assert line["msg"] == "hello"


def test_serve_runs_uvicorn_with_the_app_factory_and_no_access_log(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # serve checks its keyring (and database URL) before it listens.
    monkeypatch.setenv("LATCHKEY_DATA_DIR", str(tmp_path))
    for name in ("LATCHKEY_DATABASE_URL", "LATCHKEY_MASTER_KEY_FILE", "LATCHKEY_MASTER_KEYS"):
        monkeypatch.delenv(name, raising=False)
    generate_keyring(tmp_path / "master.keys")
    started: list[tuple[uvicorn.Config, int]] = []

    class Supervisor:  # stands in for uvicorn's: records what it was handed
        def __init__(self, config: uvicorn.Config, sockets: list[socket.socket]) -> None:
            (sock,) = sockets
            started.append((config, sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)))

        def run(self) -> None:
            return None

    monkeypatch.setattr("latchkey.serve.Multiprocess", Supervisor)
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        result = CliRunner().invoke(serve, ["--port", "0", "--workers", "3"])
    finally:
        root.handlers[:], root.level = saved
    assert result.exit_code == 0, result.output
    ((config, nodelay),) = started
    assert config.app == APP_FACTORY
    assert config.factory is True
    assert config.workers == 3
    assert config.access_log is False
    assert nodelay == 1  # the listening socket the workers share carries TCP_NODELAY


def test_the_app_factory_builds_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LATCHKEY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LATCHKEY_WORKSPACE", "Factory")
    for name in ("LATCHKEY_DATABASE_URL", "LATCHKEY_MASTER_KEY_FILE", "LATCHKEY_MASTER_KEYS"):
        monkeypatch.delenv(name, raising=False)
    generate_keyring(tmp_path / "master.keys")

    app = app_from_env()

    ctx = app.state.ctx
    assert ctx.settings.workspace_name == "Factory"
    # The composition root plugs sync's Okta connection check into the broker's port.
    assert isinstance(okta_check_of(app.state), OktaConnectionCheck)
    assert str(tmp_path.resolve()) in ctx.settings.database_url
    ctx.sessions.kw["bind"].dispose()
