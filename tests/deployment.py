"""A deployment in processes, as an operator runs one: `latchkey worker` and `latchkey serve`
processes on one PostgreSQL database, against a sandbox Okta org served over HTTP.

- `postgres_database()`: a fresh database of its own on the test server (skipped, saying so,
  when none answers), migrated with `latchkey db upgrade`'s code, dropped at the end;
- `Broker`: its `LATCHKEY_*` environment (a keyring of its own), a vault and sessions for the test
  to make changes through the domain services, the way the product makes them;
- `RecordedOrg`: the sandbox org on loopback behind a recorder that notes every Management API
  call (its bucket, status and the rate-limit window the org counted it in) and can hold calls;
- `Processes`: `latchkey …` child processes, stopped with SIGTERM (then killed) at the end.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from broker.db import make_engine, make_session_factory, transaction
from broker.keyring import Keyring, new_master_key
from broker.migrate import upgrade
from broker.models import Workspace
from broker.services import workspaces
from broker.vault import Vault
from sandbox.org.app import create_org_app
from sandbox.org.context import OrgContext
from sandbox.org.limits import org_clock, rate_limiter
from sandbox.org.state import OidcClient, OrgUser
from sandbox.serve import RunningOrg, serve
from tests.broker.builders import World
from tests.conftest import DEFAULT_POSTGRES_URL

ROOT = Path(__file__).resolve().parents[1]
LATCHKEY = [sys.executable, "-c", "from latchkey.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def postgres_database() -> Iterator[str]:
    """The URL of a fresh, migrated database on the test server."""
    url = os.environ.get("LATCHKEY_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    if url in ("", "off"):
        pytest.skip("PostgreSQL tests are off (LATCHKEY_TEST_POSTGRES_URL=off)")
    name = f"lk_proc_{os.getpid()}_{secrets.token_hex(3)}"
    admin = make_engine(url, connect_args={"connect_timeout": 3}, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL is not reachable at {url.split('@')[-1]}: {exc.orig}")
    database_url = make_url(url).set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(database_url)
        upgrade(engine)
        engine.dispose()
        yield database_url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Broker:
    """The store and configuration every process of one deployment shares."""

    database_url: str
    data_dir: Path
    keyring: Keyring = field(default_factory=lambda: Keyring([new_master_key()]))
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.engine = make_engine(self.database_url)
        self.sessions: sessionmaker[Session] = make_session_factory(self.engine)
        self.vault = Vault(self.keyring)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a `latchkey` process of this deployment (nothing else of ours)."""
        environ = {k: v for k, v in os.environ.items() if not k.startswith("LATCHKEY_")}
        environ.update(
            LATCHKEY_DATABASE_URL=self.database_url,
            LATCHKEY_DATA_DIR=str(self.data_dir),
            LATCHKEY_MASTER_KEYS=self.keyring.serialize(),
            **self.extra_env,
            **extra,
        )
        return environ

    @contextmanager
    def change(self) -> Iterator[Session]:
        with transaction(self.sessions) as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


@dataclass(frozen=True)
class SignInWorld:
    """Who signs in through the replicas, what they launch, and the replicas' environment."""

    user: OrgUser  # the person in Okta
    account_id: str  # shared with their member in workspace Acme
    env: dict[str, str]


def sign_in_world(
    store: Broker, org: RunningOrg, public: str, client_id: str, **extra: str
) -> SignInWorld:
    """The broker at `public` as an OIDC client of `org`, a person in Okta whose member shares one
    account, and the `latchkey serve` environment for it (`extra` added)."""
    secret = secrets.token_urlsafe(24)
    org.ctx.state.add_oidc_client(OidcClient(client_id, secret, [f"{public}/auth/callback"]))
    user = org.ctx.state.add_user("ada@example.com", first_name="Ada", password="pw-Ada-1")
    with store.change() as session:
        workspace = workspaces.create_workspace(session, "Acme")
        world = World(session, store.vault, session.get_one(Workspace, workspace.id))
        member = world.member()
        member.external_id = user.id
        account = world.account()
        world.share(member, account)
        account_id = account.id
    env = store.env(
        LATCHKEY_BROKER_URL=public,
        LATCHKEY_OIDC_ISSUER=org.url,
        LATCHKEY_OIDC_CLIENT_ID=client_id,
        LATCHKEY_OIDC_CLIENT_SECRET=secret,
        LATCHKEY_WORKSPACE="Acme",
        **extra,
    )
    return SignInWorld(user, account_id, env)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    bucket: str
    status: int
    window: str | None  # X-Rate-Limit-Reset of the answer: the window the org counted it in


class RecordedOrg:
    """The sandbox org over HTTP, with every Management API call noted (and some held)."""

    def __init__(self, token: str, *, scale: float = 1.0) -> None:
        self.token = token
        self.scale = scale
        self.calls: list[Call] = []
        self.held = threading.Event()  # a call is being held
        self.released = threading.Event()
        self._hold: Callable[[str, str], bool] | None = None
        self._lock = threading.Lock()
        self.url = ""
        self.ctx: OrgContext | None = None

    def hold(self, matches: Callable[[str, str], bool]) -> None:
        """Hold the first call `matches(method, path)` picks until `released` is set."""
        self._hold = matches

    def recorded(self) -> list[Call]:
        with self._lock:
            return list(self.calls)

    @contextmanager
    def running(self) -> Iterator[RecordedOrg]:
        def make_app(base_url: str) -> Any:
            self.ctx = OrgContext(base_url=base_url, api_token=self.token)
            org_clock(self.ctx).set_scale(self.scale)
            return self._recorder(create_org_app(self.ctx))

        with serve(make_app) as url:
            self.url = url
            yield self

    def _recorder(self, app: Any) -> Any:
        async def recorder(scope: dict[str, Any], receive: Any, send: Any) -> None:
            path = scope.get("path", "")
            if scope["type"] != "http" or not path.startswith("/api/v1/"):
                await app(scope, receive, send)
                return
            method = scope["method"]
            hold = self._hold
            if hold is not None and hold(method, path):
                self._hold = None
                self.held.set()
                while not self.released.is_set():
                    await asyncio.sleep(0.01)
            answer: dict[str, Any] = {}

            async def sending(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    answer["status"] = message["status"]
                    headers = dict(message.get("headers") or [])
                    reset = headers.get(b"x-rate-limit-reset")
                    answer["window"] = reset.decode() if reset else None
                await send(message)

            await app(scope, receive, sending)
            assert self.ctx is not None
            bucket = rate_limiter(self.ctx).bucket_for(method, path).name
            call = Call(method, path, bucket, answer["status"], answer.get("window"))
            with self._lock:
                self.calls.append(call)

        return recorder

    def throttled(self) -> dict[str, int]:
        """429s per bucket, as the org counted them."""
        assert self.ctx is not None
        return {name: c.throttled for name, c in rate_limiter(self.ctx).counts().items()}


class Processes:
    """`latchkey` child processes; their output goes to files (a full pipe would block them)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        out = (self.directory / f"{name}.out").open("wb")
        err = (self.directory / f"{name}.err").open("wb")
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [*LATCHKEY, *args], env=env, cwd=ROOT, stdout=out, stderr=err
        )
        out.close()
        err.close()
        self.running[name] = process
        return process

    def stop(self, name: str) -> tuple[str, str]:
        """SIGTERM (a worker finishes its round and prints its summary); its output."""
        process = self.running.pop(name)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return self.output(name)

    def output(self, name: str) -> tuple[str, str]:
        out, err = (self.directory / f"{name}.{suffix}" for suffix in ("out", "err"))
        return out.read_text(errors="replace"), err.read_text(errors="replace")

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)


def eventually(check: Callable[[], bool], seconds: float, *, every: float = 0.1) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True
