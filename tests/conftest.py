"""Shared fixtures: a database on each engine the suite runs against.

SQLite always runs. PostgreSQL runs when a server answers at `LATCHKEY_TEST_POSTGRES_URL`
(default: the local server on 127.0.0.1:5432, database `test`); set it to `off` to skip. Each test
session works in a schema of its own, so parallel runs on one server never meet.
"""

from __future__ import annotations

import os
import secrets
import shutil
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

import broker.schema  # noqa: F401  (registers every table)
from broker.db import Base, make_engine, make_session_factory
from sandbox.org.oidc.keys import ALGORITHM, SigningKey

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Okta's own OpenAPI description of the Management API, in ../shared beside the checkout.
OKTA_OPENAPI = Path(
    os.environ.get(
        "LATCHKEY_OKTA_OPENAPI",
        Path(__file__).resolve().parents[1].parent / "shared/okta/management-openapi-5.1.0.yaml",
    )
)


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def engine_name(self) -> str:
        return self.engine.dialect.name


def _postgres_url() -> str | None:
    url = os.environ.get("LATCHKEY_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    return None if url in ("", "off") else url


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[tuple[str, str]]:
    """(url, schema) of a fresh schema on the test server, or a skip saying why."""
    url = _postgres_url()
    if url is None:
        pytest.skip("PostgreSQL tests are off (LATCHKEY_TEST_POSTGRES_URL=off)")
    probe = make_engine(url, connect_args={"connect_timeout": 3})
    schema = f"lk_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        with probe.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        probe.dispose()
        pytest.skip(f"PostgreSQL is not reachable at {url.split('@')[-1]}: {exc.orig}")
    try:
        yield url, schema
    finally:
        with probe.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        probe.dispose()


def postgres_engine(url: str, schema: str) -> Engine:
    return make_engine(url, connect_args={"options": f"-csearch_path={schema}"})


@pytest.fixture(scope="session")
def _postgres_db(postgres_schema_url: tuple[str, str]) -> Iterator[Database]:
    engine = postgres_engine(*postgres_schema_url)
    Base.metadata.create_all(engine)
    yield Database(engine, make_session_factory(engine))
    engine.dispose()


def _empty(engine: Engine) -> None:
    # DELETE, children first: on a test's few rows it is ten times faster than TRUNCATE (7 ms
    # against 78 ms per test), which takes a lock and rewrites every table.
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


class _RsaKeyPool:
    """Every sandbox org makes a 2048-bit RSA key for its OIDC server (~0.1 s of CPU, hundreds of
    orgs in a run). The key material is lent out instead, under a fresh kid: a key whose
    `SigningKey` is gone is lent again only from the next test on, so within a test every key is
    new, as generated ones are, and no two live keys ever share material."""

    def __init__(self) -> None:
        self.free: list[rsa.RSAPrivateKey] = []
        self.pending: list[rsa.RSAPrivateKey] = []

    def generate(self) -> SigningKey:
        try:
            material = self.free.pop()
        except IndexError:
            material = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        kid = secrets.token_urlsafe(32)  # as SigningKey.generate: 43 URL-safe characters
        key = RSAKey.import_key(material, parameters={"kid": kid, "use": "sig", "alg": ALGORITHM})
        lent = SigningKey(kid=kid, key=key)
        weakref.finalize(lent, self.pending.append, material)
        return lent

    def next_test(self) -> None:
        self.free.extend(self.pending)
        self.pending.clear()


_RSA_KEYS = _RsaKeyPool()


@pytest.fixture(scope="session", autouse=True)
def _lent_rsa_keys() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SigningKey, "generate", classmethod(lambda cls: _RSA_KEYS.generate()))
        yield


def pytest_runtest_logfinish() -> None:
    _RSA_KEYS.next_test()


@pytest.fixture(scope="session")
def okta_openapi() -> dict[str, Any]:
    """Okta's OpenAPI description (3 MB of YAML, seconds to parse), parsed once for the run; a
    skip, saying so, where it is absent."""
    if not OKTA_OPENAPI.is_file():
        pytest.skip(
            f"Okta's OpenAPI description is not at {OKTA_OPENAPI}: nothing to validate against"
        )
    with OKTA_OPENAPI.open() as stream:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # C: several times faster
        loaded: dict[str, Any] = yaml.load(stream, Loader=loader)  # noqa: S506
    return loaded


@pytest.fixture
def anyio_backend() -> str:
    """Every async test runs on asyncio (what uvicorn and the sync worker run on), not trio."""
    return "asyncio"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database with the current schema, made once: each test gets a copy (a
    file copy takes ~3 ms, `create_all` ~40 ms, and a thousand tests ask for one)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "latchkey.db"
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()  # the last connection closes: the WAL is folded into the file
    assert not path.with_name(f"{path.name}-wal").exists(), "the template is one file"
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database with the current schema, on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "latchkey.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        engine = make_engine(f"sqlite:///{path}")
        yield Database(engine, make_session_factory(engine))
        engine.dispose()
    else:
        database: Database = request.getfixturevalue("_postgres_db")
        try:
            yield database
        finally:
            _empty(database.engine)


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    """A session for a test that works inside one transaction."""
    with db.sessions() as s, s.begin():
        yield s
