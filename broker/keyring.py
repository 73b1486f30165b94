"""The master keyring: the keys that wrap the vault's data keys, from configuration only.

Format (text, one record a line; `;` also separates records so that the whole keyring fits in
the `LATCHKEY_MASTER_KEYS` environment variable)::

    # latchkey master keyring v1
    mk-20250301-3fa2c1:q8V0...base64 of 32 random bytes...=
    mk-20250901-77d0e4:Zp1X...=

Blank records and records starting with `#` are ignored. Each key record is
`<key id>:<standard base64 of exactly 32 bytes>`; key ids are 1-64 characters of
`[A-Za-z0-9._-]` and unique. The **last** key is the active one: new data keys are wrapped with it,
and rotation appends a key. Older keys stay so that rows wrapped with them still open, until
they are retired.

    KeyringError                any problem with the keyring; the message never holds key material
    ├── KeyringNotFound         no file where the settings point
    ├── KeyringExists           `generate` refuses to overwrite a keyring
    ├── KeyringFormatError      a record that does not parse (reported by line number)
    ├── KeyringPermissionError  a file that other users may read or write
    ├── KeyringReadOnly         the keyring is inline in the environment: no file to change
    └── UnknownKeyId            a key id that is not in the keyring
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from broker.settings import Settings

KEY_BYTES = 32
_KID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_HEADER = (
    "# latchkey master keyring v1: the last key is active.\n"
    "# Secret: keep it mode 0600, out of version control and out of the database.\n"
)


class KeyringError(Exception):
    pass


class KeyringNotFound(KeyringError):
    pass


class KeyringExists(KeyringError):
    pass


class KeyringFormatError(KeyringError):
    pass


class KeyringPermissionError(KeyringError):
    pass


class KeyringReadOnly(KeyringError):
    pass


class UnknownKeyId(KeyringError):
    def __init__(self, kid: str) -> None:
        super().__init__(f"master key {kid!r} is not in the keyring")
        self.kid = kid


class MasterKey:
    """One master key. Its material is only reachable through `reveal()`."""

    __slots__ = ("_material", "kid")

    def __init__(self, kid: str, material: bytes) -> None:
        if not _KID.fullmatch(kid):
            raise KeyringFormatError(f"invalid key id {kid!r}: use 1-64 of [A-Za-z0-9._-]")
        if len(material) != KEY_BYTES:
            raise KeyringFormatError(f"master key {kid!r} must be {KEY_BYTES} bytes")
        self.kid = kid
        self._material = material

    def reveal(self) -> bytes:
        return self._material

    def __repr__(self) -> str:
        return f"MasterKey(kid={self.kid!r})"

    __str__ = __repr__


class Keyring:
    """An immutable, ordered set of master keys; the last one is active."""

    __slots__ = ("_keys",)

    def __init__(self, keys: Iterable[MasterKey]) -> None:
        ordered = tuple(keys)
        if not ordered:
            raise KeyringFormatError("the keyring holds no key")
        by_kid: dict[str, MasterKey] = {}
        for key in ordered:
            if key.kid in by_kid:
                raise KeyringFormatError(f"key id {key.kid!r} appears twice")
            by_kid[key.kid] = key
        self._keys = by_kid

    @property
    def active(self) -> MasterKey:
        return next(reversed(self._keys.values()))

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def get(self, kid: str) -> MasterKey:
        try:
            return self._keys[kid]
        except KeyError:
            raise UnknownKeyId(kid) from None

    def __contains__(self, kid: object) -> bool:
        return kid in self._keys

    def __iter__(self) -> Iterator[MasterKey]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"Keyring(kids={self.kids!r}, active={self.active.kid!r})"

    __str__ = __repr__

    def with_new_key(self, kid: str | None = None) -> Keyring:
        """This keyring plus a fresh random key, which becomes the active one."""
        return Keyring([*self, new_master_key(kid or _unique_kid(self))])

    def without(self, kids: Iterable[str]) -> Keyring:
        """This keyring less `kids`; the active key cannot be removed."""
        drop = set(kids)
        if self.active.kid in drop:
            raise KeyringError(f"the active key {self.active.kid!r} cannot be retired")
        for kid in drop:
            self.get(kid)
        return Keyring(key for key in self if key.kid not in drop)

    @classmethod
    def parse(cls, text: str) -> Keyring:
        keys: list[MasterKey] = []
        for number, line in enumerate(text.splitlines(), start=1):
            for record in line.split(";"):
                record = record.strip()
                if not record or record.startswith("#"):
                    continue
                kid, sep, encoded = record.partition(":")
                if not sep:
                    raise KeyringFormatError(f"line {number}: expected '<key id>:<base64 key>'")
                try:
                    material = base64.b64decode(encoded.strip(), validate=True)
                except binascii.Error:
                    raise KeyringFormatError(
                        f"line {number}: key {kid.strip()!r} is not valid base64"
                    ) from None
                keys.append(MasterKey(kid.strip(), material))
        return cls(keys)

    def serialize(self) -> str:
        """The file text. It holds key material: write it only to a 0600 file."""
        lines = [f"{key.kid}:{base64.b64encode(key.reveal()).decode('ascii')}" for key in self]
        return _HEADER + "\n".join(lines) + "\n"


def new_master_key(kid: str | None = None) -> MasterKey:
    return MasterKey(kid or _new_kid(), secrets.token_bytes(KEY_BYTES))


def _new_kid() -> str:
    return f"mk-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"


def _unique_kid(keyring: Keyring) -> str:
    kid = _new_kid()
    while kid in keyring:
        kid = _new_kid()
    return kid


def load_keyring(settings: Settings) -> Keyring:
    """The configured keyring: `LATCHKEY_MASTER_KEYS` when set, else the keyring file."""
    if settings.master_keys is not None:
        try:
            return Keyring.parse(settings.master_keys.reveal())
        except KeyringFormatError as exc:
            raise KeyringFormatError(f"LATCHKEY_MASTER_KEYS: {exc}") from None
    return read_keyring(settings.master_key_file)


def read_keyring(path: Path) -> Keyring:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise KeyringNotFound(
            f"no master keyring at {path}: create one with `latchkey keys generate`"
        ) from None
    with os.fdopen(fd, encoding="utf-8") as handle:
        _check_private(path, os.fstat(handle.fileno()).st_mode)
        text = handle.read()
    try:
        return Keyring.parse(text)
    except KeyringFormatError as exc:
        raise KeyringFormatError(f"{path}: {exc}") from None


def _check_private(path: Path, mode: int) -> None:
    if os.name == "posix" and mode & (stat.S_IRWXO):
        raise KeyringPermissionError(
            f"{path} is accessible to other users (mode {stat.S_IMODE(mode):04o}); "
            f"run `chmod 600 {path}`"
        )


def write_keyring(path: Path, keyring: Keyring, *, exclusive: bool = False) -> None:
    """Write the file atomically: a 0600 temp file in the same directory, fsync, rename.

    With `exclusive`, an existing file is never replaced (`KeyringExists`).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(keyring.serialize())
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            try:
                os.link(tmp, path)  # atomic and fails when the name exists, unlike rename
            except FileExistsError:
                raise KeyringExists(f"a master keyring already exists at {path}") from None
        else:
            os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    _fsync_dir(path.parent)


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    # Two rotations that both read, append and write would lose one of the new keys, and with
    # it every data key wrapped by it: changes to the file are serialised on a lock file.
    lock_path = path.with_name(f".{path.name}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def generate_keyring(path: Path) -> Keyring:
    """A new keyring file with one fresh key; refuses to overwrite an existing one."""
    keyring = Keyring([new_master_key()])
    write_keyring(path, keyring, exclusive=True)
    return keyring


def writable_path(settings: Settings) -> Path:
    """The keyring file that rotation may change; an inline keyring cannot be changed here."""
    if settings.master_keys is not None:
        raise KeyringReadOnly(
            "the keyring comes from LATCHKEY_MASTER_KEYS: append a new key there "
            "(`<key id>:<base64 key>` as the last record), redeploy, then run "
            "`latchkey keys rotate --resume`"
        )
    return settings.master_key_file


def add_active_key(settings: Settings) -> Keyring:
    """Append a fresh key to the keyring file; it becomes the active key."""
    path = writable_path(settings)
    with _file_lock(path):
        keyring = read_keyring(path).with_new_key()
        write_keyring(path, keyring)
    return keyring


def retire_keys(settings: Settings, kids: Iterable[str]) -> Keyring:
    path = writable_path(settings)
    with _file_lock(path):
        keyring = read_keyring(path).without(kids)
        write_keyring(path, keyring)
    return keyring
