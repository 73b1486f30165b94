"""Every way `latchkey` can be misconfigured ends the same way: one line on stderr saying what is
wrong, where, and what to do, exit status 1, and nothing changed (no empty database created, no
work claimed). The traceback is there only with `--debug`."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from broker.db import make_engine, make_session_factory, transaction
from broker.keyring import Keyring, new_master_key, write_keyring
from broker.migrate import head_revision, upgrade
from broker.services import workspaces
from broker.vault import Vault
from latchkey.cli import main

_UPGRADE = "Run `latchkey db upgrade` first."
_URL_HELP = "Use postgresql+psycopg://USER@HOST:5432/DATABASE or sqlite:///PATH."


@dataclass
class Deployment:
    """A data directory holding a migrated SQLite database and the keyring that sealed it."""

    dir: Path

    @property
    def database(self) -> Path:
        return self.dir / "latchkey.db"

    @property
    def keys(self) -> Path:
        return self.dir / "master.keys"

    @property
    def sqlite(self) -> str:
        return f"SQLite under LATCHKEY_DATA_DIR={self.dir}"


_TEMPLATES: dict[tuple[str, bool], Path] = {}
_ROOT: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def _templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each kind of deployment is built (migrated, sealed) once, then copied per case."""
    _ROOT.append(tmp_path_factory.mktemp("deployments"))
    yield
    _TEMPLATES.clear()
    _ROOT.clear()


def _deployment(root: Path, *, revision: str = "head", sealed: bool = True) -> Deployment:
    template = _TEMPLATES.get((revision, sealed))
    if template is None:
        template = _TEMPLATES[(revision, sealed)] = _ROOT[0] / f"{revision}-{sealed}"
        template.mkdir()
        _build(Deployment(template), revision, sealed=sealed)
    deployment = Deployment(root)
    for name in ("latchkey.db", "master.keys"):
        shutil.copy2(template / name, root / name)
    return deployment


def _build(deployment: Deployment, revision: str, *, sealed: bool) -> None:
    keyring = Keyring([new_master_key("k1")])
    write_keyring(deployment.keys, keyring)
    engine = make_engine(f"sqlite:///{deployment.database}")
    upgrade(engine, revision)
    if sealed:
        with transaction(make_session_factory(engine)) as session:
            workspace = workspaces.create_workspace(session, "Acme")
            workspaces.set_okta_domain(session, workspace.id, "https://acme.okta.com")
            # A sealed secret: what the keyring check opens.
            workspaces.set_okta_token(
                session, workspace.id, secrets.token_urlsafe(30), vault=Vault(keyring)
            )
    engine.dispose()


@pytest.fixture
def silent_database() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung database, a black hole)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not done.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    done.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _case(
    setup: Callable[[Path], Deployment | None], env: dict[str, str], line: str
) -> Callable[..., tuple[dict[str, str], str]]:
    def build(tmp: Path, extra: dict[str, str]) -> tuple[dict[str, str], str]:
        deployment = setup(tmp) or Deployment(tmp)
        fill = {
            "dir": str(tmp),
            "db": str(deployment.database),
            "keys": str(deployment.keys),
            "sqlite": deployment.sqlite,
            "head": head_revision(make_engine("sqlite://")) or "",
            **extra,
        }
        return {k: v.format(**fill) for k, v in env.items()}, line.format(**fill)

    return build


def _empty_file(tmp: Path) -> Deployment:
    deployment = _deployment(tmp)
    deployment.database.unlink()
    deployment.database.touch()
    return deployment


def _keys(text: str, mode: int = 0o600) -> Callable[[Path], Deployment]:
    def setup(tmp: Path) -> Deployment:
        deployment = _deployment(tmp)
        deployment.keys.write_text(text)
        deployment.keys.chmod(mode)
        return deployment

    return setup


def _world_readable_keys(tmp: Path) -> Deployment:
    deployment = _deployment(tmp)
    deployment.keys.chmod(0o644)
    return deployment


def _another_keyring(tmp: Path) -> Deployment:
    deployment = _deployment(tmp)
    deployment.keys.unlink()
    write_keyring(deployment.keys, Keyring([new_master_key("k1")]))  # same id, other key
    return deployment


def _no_keyring(tmp: Path) -> Deployment:
    deployment = _deployment(tmp)
    deployment.keys.unlink()
    return deployment


CASES = {
    "malformed database URL": _case(
        _deployment,
        {"LATCHKEY_DATABASE_URL": "not a url"},
        f"Error: the database URL cannot be used (LATCHKEY_DATABASE_URL). {_URL_HELP}",
    ),
    "unknown database engine": _case(
        _deployment,
        {"LATCHKEY_DATABASE_URL": "oracle+nope://db.internal/latchkey"},
        f"Error: the database URL cannot be used (LATCHKEY_DATABASE_URL). {_URL_HELP}",
    ),
    "unreachable database": _case(
        _deployment,
        {"LATCHKEY_DATABASE_URL": "postgresql+psycopg://lk:hunter2@127.0.0.1:{closed}/lk"},
        'Error: cannot use the database: connection failed: connection to server at "127.0.0.1",'
        " port {closed} failed: Connection refused"
        " (LATCHKEY_DATABASE_URL=postgresql+psycopg://lk:***@127.0.0.1:{closed}/lk)."
        " Check that the server runs and accepts this user, and LATCHKEY_DATABASE_URL.",
    ),
    "database that never answers": _case(
        _deployment,
        {
            "LATCHKEY_DATABASE_URL": "postgresql+psycopg://lk@127.0.0.1:{silent}/lk",
            "LATCHKEY_DB_CONNECT_TIMEOUT_S": "1",
        },
        "Error: the database did not answer the connection in time"
        " (LATCHKEY_DATABASE_URL=postgresql+psycopg://lk@127.0.0.1:{silent}/lk)."
        " Check that the server runs and the network reaches it,"
        " or raise LATCHKEY_DB_CONNECT_TIMEOUT_S.",
    ),
    "no database yet": _case(
        lambda tmp: None,
        {},
        f"Error: no database at {{db}} ({{sqlite}}). {_UPGRADE}",
    ),
    "empty database": _case(
        _empty_file, {}, f"Error: the database is empty ({{sqlite}}). {_UPGRADE}"
    ),
    "database from an older release": _case(
        lambda tmp: _deployment(tmp, revision="0003", sealed=False),
        {},
        f"Error: the database is at revision 0003, this latchkey needs {{head}} ({{sqlite}})."
        f" {_UPGRADE}",
    ),
    "no keyring": _case(
        _no_keyring,
        {},
        "Error: no master keyring at {keys}: create one with `latchkey keys generate`.",
    ),
    "corrupt keyring file": _case(
        _keys("garbage\n"), {}, "Error: {keys}: line 1: expected '<key id>:<base64 key>'."
    ),
    "corrupt inline keyring": _case(
        _deployment,
        {"LATCHKEY_MASTER_KEYS": "garbage"},
        "Error: LATCHKEY_MASTER_KEYS: line 1: expected '<key id>:<base64 key>'.",
    ),
    "keyring readable by others": _case(
        _world_readable_keys,
        {},
        "Error: {keys} is accessible to other users (mode 0644); run `chmod 600 {keys}`.",
    ),
    "another deployment's keyring": _case(
        _another_keyring,
        {},
        "Error: the keyring cannot open the secrets sealed with master key 'k1'"
        " (LATCHKEY_MASTER_KEYS or LATCHKEY_MASTER_KEY_FILE)."
        " Configure the keyring this database was sealed with (see docs/keys.md).",
    ),
    "timeout that is not a number": _case(
        _deployment,
        {"LATCHKEY_DB_STATEMENT_TIMEOUT_S": "soon"},
        "Error: LATCHKEY_DB_STATEMENT_TIMEOUT_S must be a number of seconds, not 'soon'"
        " (environment). Fix the variable, or unset it for the default.",
    ),
}


def _run(args: list[str], tmp: Path, env: dict[str, str]) -> tuple[int, str, str]:
    cleared = {
        name: None
        for name in os.environ
        if name.startswith("LATCHKEY_") and name != "LATCHKEY_TEST_POSTGRES_URL"
    }
    result = CliRunner().invoke(main, args, env={**cleared, "LATCHKEY_DATA_DIR": str(tmp), **env})
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", [["worker", "--once"], ["sync"]])
@pytest.mark.parametrize("case", list(CASES))
def test_bad_configuration_is_one_line_and_exit_1(
    case: str, command: list[str], tmp_path: Path, silent_database: int
) -> None:
    ports = {"closed": str(_closed_port()), "silent": str(silent_database)}
    env, line = CASES[case](tmp_path, ports)
    before = _files(tmp_path)

    status, out, err = _run(command, tmp_path, env)

    assert (status, err.splitlines()) == (1, [line])
    assert out == ""
    assert "hunter2" not in err
    assert _files(tmp_path) == before  # no database made, nothing written


def _files(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.iterdir()}


@pytest.mark.parametrize("command", [["db", "upgrade"], ["db", "current"]])
@pytest.mark.parametrize(
    "case", ["malformed database URL", "unreachable database", "timeout that is not a number"]
)
def test_db_commands_fail_the_same_way(case: str, command: list[str], tmp_path: Path) -> None:
    env, line = CASES[case](tmp_path, {"closed": str(_closed_port())})

    status, out, err = _run(command, tmp_path, env)

    assert (status, out, err.splitlines()) == (1, "", [line])


@pytest.mark.parametrize(
    "case",
    [
        "malformed database URL",
        "unknown database engine",
        "no keyring",
        "corrupt keyring file",
        "timeout that is not a number",
    ],
)
def test_serve_refuses_to_start_the_same_way(case: str, tmp_path: Path) -> None:
    env, line = CASES[case](tmp_path, {})

    status, out, err = _run(["serve", "--port", str(_closed_port())], tmp_path, env)

    assert (status, out, err.splitlines()) == (1, "", [line])


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    env, line = CASES["no database yet"](tmp_path, {})
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LATCHKEY_")}
    environ |= {"LATCHKEY_DATA_DIR": str(tmp_path), **env}

    # A process of its own: the traceback is what Python prints as the command dies.
    loud = subprocess.run(
        [sys.executable, "-c", "from latchkey.cli import main; main()", "--debug", "worker"],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )

    assert loud.returncode == 1
    assert loud.stderr.startswith("Traceback (most recent call last)")
    assert loud.stderr.rstrip().endswith(line.removeprefix("Error: "))
    assert _run(["worker"], tmp_path, env)[2].splitlines() == [line]  # and without --debug
