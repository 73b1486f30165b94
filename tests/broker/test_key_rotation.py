from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from broker.db import Base, make_engine, make_session_factory, transaction
from broker.keyring import (
    KeyringReadOnly,
    add_active_key,
    generate_keyring,
    load_keyring,
)
from broker.models import SealedSecret
from broker.settings import Secret, Settings
from broker.vault import SecretTampered, Vault, key_usage, retire_unused, rotate
from latchkey.keys import keys

if TYPE_CHECKING:
    from tests.conftest import Database

ROWS = 25
BATCH = 4  # 25 rows in batches of 4: seven batches, the last one short


class Interrupted(Exception):
    pass


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
        master_key_file=tmp_path / "master.keys",
    )


@pytest.fixture
def factory(db: Database) -> sessionmaker[Session]:
    return db.sessions  # SQLite and PostgreSQL (tests/conftest.py)


@pytest.fixture
def sealed(settings: Settings, factory: sessionmaker[Session]) -> dict[str, str]:
    """ROWS secrets sealed under a first master key: id → plaintext."""
    generate_keyring(settings.master_key_file)
    vault = Vault.from_settings(settings)
    with transaction(factory) as session:
        rows = {vault.seal(session, f"secret {n}", "p").id: f"secret {n}" for n in range(ROWS)}
    return rows


def _usage(factory: sessionmaker[Session]) -> dict[str, int]:
    with transaction(factory) as session:
        return key_usage(session)


def _assert_all_open(
    factory: sessionmaker[Session], settings: Settings, expected: dict[str, str]
) -> None:
    # A fresh vault from the keyring file, as a broker that starts now would have.
    vault = Vault.from_settings(settings)
    with factory() as session:
        rows = session.scalars(select(SealedSecret)).all()
        assert {row.id: vault.open_text(row) for row in rows} == expected


def _envelopes(factory: sessionmaker[Session]) -> dict[str, tuple[bytes, bytes]]:
    with factory() as session:
        return {
            row.id: (row.nonce, row.ciphertext) for row in session.scalars(select(SealedSecret))
        }


def test_rotation_rewraps_every_row_and_old_data_still_opens(
    settings: Settings, factory: sessionmaker[Session], sealed: dict[str, str]
) -> None:
    old = load_keyring(settings).active.kid
    before = _envelopes(factory)
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        _assert_all_open(factory, settings, sealed)

    summary = rotate(factory, settings, batch_size=BATCH, progress=progress)

    keyring = load_keyring(settings)
    assert keyring.kids == (old, summary.active_kid)
    assert summary.added_kid == summary.active_kid == keyring.active.kid
    assert (summary.to_rewrap, summary.rewrapped, summary.batches) == (ROWS, ROWS, 7)
    assert summary.complete
    assert summary.failed == ()
    assert seen == [(4, 25), (8, 25), (12, 25), (16, 25), (20, 25), (24, 25), (25, 25)]
    assert _usage(factory) == {keyring.active.kid: ROWS}
    assert _envelopes(factory) == before  # only the wrapped keys changed
    _assert_all_open(factory, settings, sealed)


def test_interrupted_after_the_first_batch_then_resumed(
    settings: Settings, factory: sessionmaker[Session], sealed: dict[str, str]
) -> None:
    old = load_keyring(settings).active.kid

    def crash(done: int, total: int) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        rotate(factory, settings, batch_size=BATCH, progress=crash)

    new = load_keyring(settings).active.kid
    assert load_keyring(settings).kids == (old, new)
    assert _usage(factory) == {old: ROWS - BATCH, new: BATCH}
    _assert_all_open(factory, settings, sealed)
    assert retire_unused(factory, settings) == ()  # the old key is still needed

    summary = rotate(
        factory,
        settings,
        batch_size=BATCH,
        new_key=False,
        progress=lambda *_: _assert_all_open(factory, settings, sealed),
    )
    assert summary.added_kid is None
    assert (summary.to_rewrap, summary.rewrapped, summary.batches) == (21, 21, 6)
    assert summary.complete
    assert _usage(factory) == {new: ROWS}
    _assert_all_open(factory, settings, sealed)


def test_crash_inside_a_batch_rolls_that_batch_back(
    settings: Settings,
    factory: sessionmaker[Session],
    sealed: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = load_keyring(settings).active.kid
    calls: list[str] = []
    real = Vault.rewrap

    def rewrap_then_crash(self: Vault, secret: SealedSecret) -> bool:
        calls.append(secret.id)
        if len(calls) == BATCH + 2:  # the second row of the second batch
            raise Interrupted
        return real(self, secret)

    monkeypatch.setattr(Vault, "rewrap", rewrap_then_crash)
    with pytest.raises(Interrupted):
        rotate(factory, settings, batch_size=BATCH)
    monkeypatch.undo()

    new = load_keyring(settings).active.kid
    assert _usage(factory) == {old: ROWS - BATCH, new: BATCH}  # batch 2 left no trace
    _assert_all_open(factory, settings, sealed)
    assert rotate(factory, settings, batch_size=BATCH, new_key=False).complete
    assert _usage(factory) == {new: ROWS}


def test_crash_after_the_key_was_added_before_any_batch(
    settings: Settings, factory: sessionmaker[Session], sealed: dict[str, str]
) -> None:
    new = add_active_key(settings).active.kid  # what `rotate` does first
    _assert_all_open(factory, settings, sealed)
    summary = rotate(factory, settings, batch_size=BATCH, new_key=False)
    assert summary.rewrapped == ROWS
    assert _usage(factory) == {new: ROWS}


def test_rerun_without_resume_also_converges(
    settings: Settings, factory: sessionmaker[Session], sealed: dict[str, str]
) -> None:
    with pytest.raises(Interrupted):
        rotate(factory, settings, batch_size=BATCH, progress=_raise)
    summary = rotate(factory, settings, batch_size=BATCH, retire=True)
    assert summary.complete
    assert _usage(factory) == {summary.active_kid: ROWS}
    assert len(summary.retired) == 2
    assert load_keyring(settings).kids == (summary.active_kid,)
    _assert_all_open(factory, settings, sealed)


def _raise(done: int, total: int) -> None:
    raise Interrupted


def test_rows_sealed_with_the_old_keyring_during_rotation_are_caught_by_resume(
    settings: Settings, factory: sessionmaker[Session], sealed: dict[str, str]
) -> None:
    # A broker that loaded the keyring before the rotation keeps sealing with the old key.
    stale_broker = Vault(load_keyring(settings))
    expected = dict(sealed)

    def seal_meanwhile(done: int, total: int) -> None:
        with transaction(factory) as session:
            row = stale_broker.seal(session, f"late {done}", "p")
            expected[row.id] = f"late {done}"

    first = rotate(factory, settings, batch_size=BATCH, progress=seal_meanwhile)
    _assert_all_open(factory, settings, expected)
    second = rotate(factory, settings, batch_size=BATCH, new_key=False)
    assert second.complete
    assert first.rewrapped + second.rewrapped == len(expected)
    assert _usage(factory) == {first.active_kid: len(expected)}


def test_a_tampered_row_is_reported_and_does_not_stop_the_others(
    settings: Settings, factory: sessionmaker[Session], sealed: dict[str, str]
) -> None:
    old = load_keyring(settings).active.kid
    bad_id = sorted(sealed)[3]
    with transaction(factory) as session:
        bad = session.get(SealedSecret, bad_id)
        assert bad is not None
        bad.wrapped_key = bytes(len(bad.wrapped_key))

    summary = rotate(factory, settings, batch_size=BATCH, retire=True)

    assert summary.failed == (bad_id,)
    assert (summary.rewrapped, summary.remaining, summary.complete) == (ROWS - 1, 1, False)
    assert summary.retired == ()
    assert _usage(factory) == {old: 1, summary.active_kid: ROWS - 1}
    assert old in load_keyring(settings)
    vault = Vault.from_settings(settings)
    with factory() as session:
        for row in session.scalars(select(SealedSecret)):
            if row.id == bad_id:
                with pytest.raises(SecretTampered):
                    vault.open(row)
            else:
                assert vault.open_text(row) == sealed[row.id]


def test_retire_only_when_no_row_uses_the_key(
    settings: Settings, factory: sessionmaker[Session], sealed: dict[str, str]
) -> None:
    old = load_keyring(settings).active.kid
    new = add_active_key(settings).active.kid
    assert retire_unused(factory, settings) == ()
    rotate(factory, settings, new_key=False)
    assert retire_unused(factory, settings) == (old,)
    assert load_keyring(settings).kids == (new,)
    _assert_all_open(factory, settings, sealed)


def test_inline_keyring_is_rotated_by_the_operator_then_resumed(
    settings: Settings, factory: sessionmaker[Session], sealed: dict[str, str]
) -> None:
    text = settings.master_key_file.read_text()
    inline = Settings(
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        master_key_file=settings.data_dir / "absent.keys",
        master_keys=Secret(text),
    )
    with pytest.raises(KeyringReadOnly):
        rotate(factory, inline)
    new_key = base64.b64encode(bytes(range(32))).decode()
    appended = dataclasses.replace(inline, master_keys=Secret(f"{text};env-2:{new_key}"))
    summary = rotate(factory, appended, new_key=False)
    assert summary.complete
    assert _usage(factory) == {"env-2": ROWS}
    _assert_all_open(factory, appended, sealed)


def test_batch_size_must_be_positive(settings: Settings, factory: sessionmaker[Session]) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        rotate(factory, settings, batch_size=0)


# --- the CLI -------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[sessionmaker[Session]]:
    """The commands read the environment: a SQLite database at the URL they are given."""
    monkeypatch.setenv("LATCHKEY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("LATCHKEY_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LATCHKEY_MASTER_KEY_FILE", str(settings.master_key_file))
    monkeypatch.delenv("LATCHKEY_MASTER_KEYS", raising=False)
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()


def test_cli_generate_status_rotate_retire(
    settings: Settings, cli_env: sessionmaker[Session]
) -> None:
    runner = CliRunner()
    created = runner.invoke(keys, ["generate"])
    assert created.exit_code == 0, created.output
    first = load_keyring(settings).active.kid
    assert f"with master key {first}" in created.output
    assert (settings.master_key_file.stat().st_mode & 0o777) == 0o600

    again = runner.invoke(keys, ["generate"])
    assert again.exit_code == 0
    assert "already exists" in again.output
    assert load_keyring(settings).kids == (first,)

    vault = Vault.from_settings(settings)
    with transaction(cli_env) as session:
        for n in range(5):
            vault.seal(session, f"s{n}", "p")

    status = runner.invoke(keys, ["status"])
    assert status.exit_code == 0, status.output
    rows = [line.split() for line in status.output.splitlines()]
    assert [first, "*", "5"] in rows

    rotated = runner.invoke(keys, ["rotate", "--batch-size", "2"])
    assert rotated.exit_code == 0, rotated.output
    second = load_keyring(settings).active.kid
    assert f"Added master key {second}" in rotated.output
    assert "Re-wrapped 5 of 5 data key(s) in 3 batch(es)." in rotated.output

    resumed = runner.invoke(keys, ["rotate", "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert "Re-wrapped 0 of 0" in resumed.output

    retired = runner.invoke(keys, ["retire"])
    assert retired.exit_code == 0, retired.output
    assert first in retired.output
    assert load_keyring(settings).kids == (second,)

    outputs = created.output + status.output + rotated.output + resumed.output + retired.output
    material = base64.b64encode(load_keyring(settings).active.reveal()).decode()
    assert material not in outputs


def test_cli_status_flags_a_missing_key(settings: Settings, cli_env: sessionmaker[Session]) -> None:
    generate_keyring(settings.master_key_file)
    with transaction(cli_env) as session:
        for n in range(ROWS):
            Vault.from_settings(settings).seal(session, f"s{n}", "p")
    settings.master_key_file.unlink()
    generate_keyring(settings.master_key_file)
    result = CliRunner().invoke(keys, ["status"])
    assert result.exit_code == 1
    assert "MISSING" in result.output
    assert f"{ROWS} secret(s) cannot be opened" in result.output


def test_cli_rotate_explains_an_inline_keyring(
    settings: Settings, cli_env: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    generate_keyring(settings.master_key_file)
    monkeypatch.setenv("LATCHKEY_MASTER_KEYS", settings.master_key_file.read_text())
    result = CliRunner().invoke(keys, ["rotate"])
    assert result.exit_code == 1
    assert "LATCHKEY_MASTER_KEYS" in result.output
    assert "--resume" in result.output
