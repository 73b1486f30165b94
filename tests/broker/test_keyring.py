from __future__ import annotations

import base64
import logging
import os
import stat
from pathlib import Path

import pytest

from broker.keyring import (
    Keyring,
    KeyringError,
    KeyringExists,
    KeyringFormatError,
    KeyringNotFound,
    KeyringPermissionError,
    KeyringReadOnly,
    MasterKey,
    UnknownKeyId,
    add_active_key,
    generate_keyring,
    load_keyring,
    read_keyring,
    retire_keys,
)
from broker.settings import Secret, Settings


def _settings(tmp_path: Path, inline: str | None = None) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
        master_key_file=tmp_path / "keys" / "master.keys",
        master_keys=Secret(inline) if inline is not None else None,
    )


def _b64(key: MasterKey) -> str:
    return base64.b64encode(key.reveal()).decode()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_generate_creates_a_private_file_with_one_active_key(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    keyring = generate_keyring(settings.master_key_file)
    assert _mode(settings.master_key_file) == 0o600
    assert len(keyring) == 1
    loaded = load_keyring(settings)
    assert loaded.kids == keyring.kids
    assert loaded.active.reveal() == keyring.active.reveal()
    assert len(keyring.active.reveal()) == 32


def test_generate_never_overwrites_a_keyring(tmp_path: Path) -> None:
    path = tmp_path / "master.keys"
    generate_keyring(path)
    before = path.read_bytes()
    with pytest.raises(KeyringExists):
        generate_keyring(path)
    assert path.read_bytes() == before


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(KeyringNotFound, match="latchkey keys generate"):
        load_keyring(_settings(tmp_path))


@pytest.mark.parametrize("mode", [0o644, 0o604, 0o602, 0o666])
def test_file_open_to_other_users_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "master.keys"
    generate_keyring(path)
    path.chmod(mode)
    with pytest.raises(KeyringPermissionError, match="chmod 600"):
        read_keyring(path)


def test_group_readable_file_is_accepted(tmp_path: Path) -> None:
    # Secret mounts are often 0640 with a group that the service runs in.
    path = tmp_path / "master.keys"
    generate_keyring(path)
    path.chmod(0o640)
    assert len(read_keyring(path)) == 1


def test_inline_keyring_wins_over_the_file(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    generate_keyring(settings.master_key_file)
    key = MasterKey("env-1", os.urandom(32))
    loaded = load_keyring(_settings(tmp_path, inline=f"env-1:{_b64(key)}"))
    assert loaded.kids == ("env-1",)
    assert loaded.active.reveal() == key.reveal()


def test_format_comments_blank_lines_and_semicolons(tmp_path: Path) -> None:
    a, b, c = (MasterKey(kid, os.urandom(32)) for kid in ("a", "b.2", "C_3-x"))
    text = f"# comment\n\n  a:{_b64(a)}  \nb.2:{_b64(b)} ; # note ; C_3-x: {_b64(c)}\n"
    keyring = Keyring.parse(text)
    assert keyring.kids == ("a", "b.2", "C_3-x")
    assert keyring.active.kid == "C_3-x"  # the last key is active
    assert keyring.get("a").reveal() == a.reveal()


def test_serialize_round_trips() -> None:
    keyring = Keyring([MasterKey("one", os.urandom(32))]).with_new_key()
    again = Keyring.parse(keyring.serialize())
    assert again.kids == keyring.kids
    assert [k.reveal() for k in again] == [k.reveal() for k in keyring]


GOOD = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no key"),
        ("# only a comment", "no key"),
        (f"k1 {GOOD}", "line 1: expected"),
        ("k1:not base64!", "not valid base64"),
        (f"k1:{base64.b64encode(bytes(16)).decode()}", "32 bytes"),
        (f"k1:{GOOD}\nk1:{GOOD}", "twice"),
        (f"bad kid:{GOOD}", "invalid key id"),
        (f"{'k' * 65}:{GOOD}", "invalid key id"),
    ],
)
def test_malformed_keyring_is_refused(text: str, message: str) -> None:
    with pytest.raises(KeyringFormatError, match=message):
        Keyring.parse(text)


def test_inline_format_error_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(KeyringFormatError, match="LATCHKEY_MASTER_KEYS"):
        load_keyring(_settings(tmp_path, inline="nonsense"))


def test_lookup_of_an_unknown_kid() -> None:
    keyring = Keyring([MasterKey("k1", os.urandom(32))])
    with pytest.raises(UnknownKeyId) as caught:
        keyring.get("k9")
    assert caught.value.kid == "k9"
    assert isinstance(caught.value, KeyringError)


def test_add_active_key_appends_and_keeps_the_old_keys(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    first = generate_keyring(settings.master_key_file)
    second = add_active_key(settings)
    assert second.kids[0] == first.active.kid
    assert len(second) == 2
    assert second.active.kid != first.active.kid
    assert second.get(first.active.kid).reveal() == first.active.reveal()
    assert load_keyring(settings).active.kid == second.active.kid
    assert _mode(settings.master_key_file) == 0o600
    # Only the keyring and its lock file: no temporary file left behind.
    names = sorted(p.name for p in settings.master_key_file.parent.iterdir())
    assert names == [".master.keys.lock", "master.keys"]


def test_failed_write_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path)
    generate_keyring(settings.master_key_file)
    before = settings.master_key_file.read_bytes()

    def crash(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        add_active_key(settings)
    assert settings.master_key_file.read_bytes() == before
    assert not [p for p in settings.master_key_file.parent.iterdir() if p.suffix == ".tmp"]


def test_inline_keyring_cannot_be_rotated_here(tmp_path: Path) -> None:
    inline = f"k1:{_b64(MasterKey('k1', os.urandom(32)))}"
    with pytest.raises(KeyringReadOnly, match="rotate --resume"):
        add_active_key(_settings(tmp_path, inline=inline))


def test_retire_removes_old_keys_but_never_the_active_one(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    old = generate_keyring(settings.master_key_file).active.kid
    new = add_active_key(settings).active.kid
    with pytest.raises(KeyringError, match="active"):
        retire_keys(settings, [new])
    with pytest.raises(UnknownKeyId):
        retire_keys(settings, ["nope"])
    assert retire_keys(settings, [old]).kids == (new,)
    assert load_keyring(settings).kids == (new,)


def test_key_material_never_shows(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = _settings(tmp_path)
    generate_keyring(settings.master_key_file)
    keyring = add_active_key(settings)
    secrets = [key.reveal() for key in keyring]
    inline = _settings(tmp_path, inline=keyring.serialize())
    shown = [repr(keyring), str(keyring), repr(keyring.active), str(keyring.active), repr(inline)]
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("latchkey.test").info("keyring %s key %r", keyring, keyring.active)
    shown.append(caplog.text)
    for broken in [f"{keyring.active.kid} {_b64(keyring.active)}", f"k:{_b64(keyring.active)}!"]:
        with pytest.raises(KeyringFormatError) as caught:
            Keyring.parse(broken)
        shown.append(str(caught.value))
    for text in shown:
        for material in secrets:
            assert base64.b64encode(material).decode() not in text
            assert material.hex() not in text
            assert repr(material) not in text
    assert keyring.active.kid in repr(keyring)
