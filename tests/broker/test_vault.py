from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.orm import Session, sessionmaker

from broker.db import new_id, transaction
from broker.keyring import Keyring, new_master_key
from broker.models import SealedSecret
from broker.vault import MasterKeyMissing, SecretTampered, Vault, VaultError

if TYPE_CHECKING:
    from tests.conftest import Database


@pytest.fixture
def factory(db: Database) -> sessionmaker[Session]:
    return db.sessions  # SQLite and PostgreSQL (tests/conftest.py)


@pytest.fixture
def vault() -> Vault:
    return Vault(Keyring([new_master_key("old"), new_master_key("current")]))


def _seal(factory: sessionmaker[Session], vault: Vault, plaintext: str, purpose: str) -> str:
    with transaction(factory) as session:
        return vault.seal(session, plaintext, purpose).id


def _load(factory: sessionmaker[Session], secret_id: str) -> SealedSecret:
    with factory() as session:
        secret = session.get(SealedSecret, secret_id)
        assert secret is not None
        return secret


def test_round_trip_through_the_database(factory: sessionmaker[Session], vault: Vault) -> None:
    secret_id = _seal(factory, vault, "hunter2 ✓", "account.password")
    stored = _load(factory, secret_id)
    assert stored.key_id == "current"
    assert stored.purpose == "account.password"
    assert b"hunter2" not in stored.ciphertext
    assert vault.open_text(stored) == "hunter2 ✓"
    assert vault.open(stored) == "hunter2 ✓".encode()


def test_bytes_and_empty_plaintexts(factory: sessionmaker[Session], vault: Vault) -> None:
    with transaction(factory) as session:
        raw = vault.seal(session, b"\x00\xff", "blob")
        empty = vault.seal(session, "", "blob")
    assert vault.open(raw) == b"\x00\xff"
    assert vault.open_text(empty) == ""
    with pytest.raises(VaultError, match="not text"):
        vault.open_text(raw)


def test_every_secret_has_its_own_data_key_and_nonce(
    factory: sessionmaker[Session], vault: Vault
) -> None:
    with transaction(factory) as session:
        a = vault.seal(session, "same", "p")
        b = vault.seal(session, "same", "p")
    assert a.id != b.id
    assert a.nonce != b.nonce
    assert a.ciphertext != b.ciphertext
    assert a.wrapped_key != b.wrapped_key


@pytest.mark.parametrize("purpose", ["", "x" * 41])
def test_purpose_must_fit_the_column(vault: Vault, purpose: str) -> None:
    with Session() as session, pytest.raises(ValueError, match="purpose"):
        vault.seal(session, "s", purpose)


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


# Each case returns the columns to overwrite on the target row, given the target and another row.
Tamper = Callable[[SealedSecret, SealedSecret], dict[str, object]]

TAMPERING: dict[str, Tamper] = {
    "ciphertext first byte": lambda s, _: {"ciphertext": _flip(s.ciphertext, 0)},
    "ciphertext tag": lambda s, _: {"ciphertext": _flip(s.ciphertext, -1)},
    "ciphertext truncated": lambda s, _: {"ciphertext": s.ciphertext[:-1]},
    "nonce": lambda s, _: {"nonce": _flip(s.nonce, 5)},
    "nonce shortened": lambda s, _: {"nonce": s.nonce[:8]},
    "wrapped key nonce": lambda s, _: {"wrapped_key": _flip(s.wrapped_key, 0)},
    "wrapped key body": lambda s, _: {"wrapped_key": _flip(s.wrapped_key, 20)},
    "wrapped key tag": lambda s, _: {"wrapped_key": _flip(s.wrapped_key, -1)},
    "wrapped key truncated": lambda s, _: {"wrapped_key": s.wrapped_key[:-1]},
    "wrong purpose": lambda s, _: {"purpose": "account.totp"},
    "copied to a new row id": lambda s, _: {"id": new_id()},
    "other master key id": lambda s, _: {"key_id": "old"},
    "ciphertext and nonce of another row": lambda _, o: {
        "ciphertext": o.ciphertext,
        "nonce": o.nonce,
    },
    "wrapped key of another row": lambda _, o: {"wrapped_key": o.wrapped_key},
    "whole envelope of another row": lambda _, o: {
        "ciphertext": o.ciphertext,
        "nonce": o.nonce,
        "wrapped_key": o.wrapped_key,
    },
}


@pytest.mark.parametrize("how", list(TAMPERING))
def test_tampering_is_detected(factory: sessionmaker[Session], vault: Vault, how: str) -> None:
    # Both rows have the same purpose, so only the binding to the row id tells them apart.
    target_id = _seal(factory, vault, "target secret", "account.password")
    other_id = _seal(factory, vault, "other secret", "account.password")
    with factory() as session:
        target = session.get(SealedSecret, target_id)
        other = session.get(SealedSecret, other_id)
        assert target is not None
        assert other is not None
        for column, value in TAMPERING[how](target, other).items():
            setattr(target, column, value)
        session.commit()
        with pytest.raises(VaultError) as caught:
            vault.open(target)
    assert isinstance(caught.value, SecretTampered)
    assert "target secret" not in str(caught.value)
    assert caught.value.secret_id == target.id


def test_a_row_of_another_purpose_is_refused(factory: sessionmaker[Session], vault: Vault) -> None:
    # An account whose TOTP reference was pointed at its password row.
    password = _load(factory, _seal(factory, vault, "hunter2", "account.password"))
    assert vault.open_text(password, purpose="account.password") == "hunter2"
    with pytest.raises(SecretTampered, match=r"account\.totp"):
        vault.open_text(password, purpose="account.totp")


def test_row_wrapped_by_an_unknown_master_key(factory: sessionmaker[Session], vault: Vault) -> None:
    secret = _load(factory, _seal(factory, vault, "s", "p"))
    stranger = Vault(Keyring([new_master_key("other")]))
    with pytest.raises(MasterKeyMissing, match="current"):
        stranger.open(secret)


def test_reload_picks_up_a_key_added_by_another_process(
    factory: sessionmaker[Session], vault: Vault
) -> None:
    secret = _load(factory, _seal(factory, vault, "s", "p"))
    loads: list[Keyring] = []

    def reload() -> Keyring:
        loads.append(vault.keyring)
        return vault.keyring

    stale = Vault(Keyring([new_master_key("old")]), reload=reload)
    assert stale.open_text(secret) == "s"
    assert stale.open_text(secret) == "s"
    assert len(loads) == 1
    assert stale.keyring.active.kid == "current"


def test_replace_reencrypts_under_a_new_data_key(
    factory: sessionmaker[Session], vault: Vault
) -> None:
    secret_id = _seal(factory, vault, "first", "p")
    with transaction(factory) as session:
        secret = session.get(SealedSecret, secret_id)
        assert secret is not None
        before = (secret.wrapped_key, secret.nonce, secret.ciphertext)
        vault.replace(secret, "second")
    stored = _load(factory, secret_id)
    assert vault.open_text(stored) == "second"
    assert stored.rotated_at is not None
    after = (stored.wrapped_key, stored.nonce, stored.ciphertext)
    assert all(old != new for old, new in zip(before, after, strict=True))


def test_rewrap_changes_only_the_wrapped_key(factory: sessionmaker[Session]) -> None:
    old = Vault(Keyring([new_master_key("old")]))
    new = Vault(Keyring([*old.keyring, new_master_key("new")]))
    secret_id = _seal(factory, old, "keep me", "p")
    with transaction(factory) as session:
        secret = session.get(SealedSecret, secret_id)
        assert secret is not None
        before = (secret.nonce, secret.ciphertext, secret.wrapped_key)
        assert new.rewrap(secret) is True
        assert new.rewrap(secret) is False  # already under the active key
    stored = _load(factory, secret_id)
    assert stored.key_id == "new"
    assert (stored.nonce, stored.ciphertext) == before[:2]
    assert stored.wrapped_key != before[2]
    assert new.open_text(stored) == "keep me"
    with pytest.raises(MasterKeyMissing):
        old.open(stored)


def test_rewrap_refuses_a_tampered_wrapped_key(factory: sessionmaker[Session]) -> None:
    old = Vault(Keyring([new_master_key("old")]))
    new = Vault(Keyring([*old.keyring, new_master_key("new")]))
    secret = _load(factory, _seal(factory, old, "s", "p"))
    secret.wrapped_key = _flip(secret.wrapped_key, 30)
    with pytest.raises(SecretTampered):
        new.rewrap(secret)
    assert secret.key_id == "old"
