"""`latchkey import` as an operator runs it: a summary, one JSON line last, exit 1 on bad rows,
and never a secret on the terminal or in the logs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

import broker.schema
from broker.db import make_engine, make_session_factory, transaction
from broker.keyring import generate_keyring
from broker.models import Account, Collection, WorkspaceRole
from broker.services import members, workspaces
from latchkey.cli import main
from tests.broker.imports.test_parsers import (
    BITWARDEN_HEADER,
    TOTP_URI,
    bitwarden_row,
    csv_bytes,
)

ROWS = [
    bitwarden_row("GitHub", uri="https://github.com/login", password="gh-s3cret", totp=TOTP_URI),
    bitwarden_row("Card", kind="card", uri="", username="", password=""),
]
SECRETS = ("gh-s3cret", "JBSWY3DPEHPK3PXP")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database with workspace Acme, its Owner and a Login-only member."""
    monkeypatch.setenv("LATCHKEY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LATCHKEY_WORKSPACE", "Acme")
    for name in ("LATCHKEY_DATABASE_URL", "LATCHKEY_MASTER_KEYS", "LATCHKEY_MASTER_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    generate_keyring(tmp_path / "master.keys")
    url = f"sqlite:///{tmp_path / 'latchkey.db'}"
    engine = make_engine(url)
    broker.schema.metadata.create_all(engine)
    with transaction(make_session_factory(engine)) as s:
        ws = workspaces.create_workspace(s, "Acme").id
        members.add_member(s, ws, "owner@acme.example", role=WorkspaceRole.OWNER)
        members.add_member(s, ws, "viewer@acme.example", role=WorkspaceRole.LOGIN_ONLY)
    engine.dispose()
    return url


def _import(tmp_path: Path, rows: list[list[str]], *args: str) -> Result:
    export = tmp_path / "export.csv"
    export.write_bytes(csv_bytes(BITWARDEN_HEADER, rows, bom=True))
    return CliRunner().invoke(main, ["import", str(export), "--format", "bitwarden-csv", *args])


def _names(url: str, model: type[Account] | type[Collection]) -> list[str]:
    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        names = sorted(s.scalars(select(model.name)))
    engine.dispose()
    return names


def test_an_import_prints_a_summary_and_ends_with_the_json_line(
    store: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    dry = _import(tmp_path, ROWS, "--dry-run", "--collection", "Imported")
    done = _import(tmp_path, ROWS, "--collection", "Imported")
    again = _import(tmp_path, ROWS, "--owner", "OWNER@acme.example")

    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing was written" in dry.output
    assert json.loads(done.output.splitlines()[-1]) == {
        "imported": 1,
        "updated": 0,
        "skipped": 1,
        "failed": 0,
    }
    assert "line 3: skipped: a card, not a login" in done.output
    assert json.loads(again.output.splitlines()[-1])["skipped"] == 2
    assert _names(store, Account) == ["GitHub"]
    assert _names(store, Collection) == ["Imported"]
    for secret in SECRETS:
        assert secret not in dry.output + done.output + again.output + caplog.text


def test_bad_rows_are_listed_nothing_is_written_and_it_exits_1(store: str, tmp_path: Path) -> None:
    rows = [*ROWS, bitwarden_row("Plain", uri="http://plain.example", password="pl-s3cret")]

    result = _import(tmp_path, rows)

    assert result.exit_code == 1
    assert "line 4: failed: The login URL must use https" in result.output
    assert "nothing was imported" in result.output
    assert json.loads(result.output.splitlines()[-1])["failed"] == 1
    assert "pl-s3cret" not in result.output
    assert _names(store, Account) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--owner", "nobody@acme.example"], "No active member"),
        (["--owner", "viewer@acme.example"], "Login-only"),
    ],
)
def test_a_wrong_owner_is_one_line(
    store: str, tmp_path: Path, args: list[str], message: str
) -> None:
    result = _import(tmp_path, ROWS, *args)

    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_file_of_another_format_is_one_line(store: str, tmp_path: Path) -> None:
    export = tmp_path / "chrome.csv"
    export.write_text("name,url,username,password\nA,https://a.example,u,p\n")

    result = CliRunner().invoke(main, ["import", str(export), "--format", "bitwarden-csv"])

    assert result.exit_code == 1
    assert "This is not a Bitwarden CSV export" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_an_empty_database_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LATCHKEY_DATA_DIR", str(tmp_path))
    for name in ("LATCHKEY_DATABASE_URL", "LATCHKEY_MASTER_KEYS", "LATCHKEY_MASTER_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    generate_keyring(tmp_path / "master.keys")

    result = _import(tmp_path, ROWS, "--owner", "owner@acme.example")

    assert result.exit_code == 1
    assert "latchkey db upgrade" in result.output
    assert len(result.output.strip().splitlines()) == 1
