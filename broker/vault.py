"""The vault: secrets encrypted at rest, each under its own data key, wrapped by a master key.

Envelope encryption, one `SealedSecret` row per secret:

- the secret is encrypted with AES-256-GCM under a fresh random data key (DEK) and a random
  96-bit nonce (`nonce`, `ciphertext`, which ends with the 128-bit tag); the associated data is
  the row id and purpose, so a ciphertext moved to another row, or read for another purpose,
  fails authentication;
- the DEK is wrapped with AES-256-GCM under the active master key (`wrapped_key` = 96-bit nonce
  ‖ encrypted DEK ‖ tag; `key_id` names the master key). The associated data is the row id,
  purpose and master key id. GCM rather than RFC 3394 AES key wrap because key wrap takes no
  associated data: with GCM a wrapped key copied into another row does not open there either.
  Random nonces are safe for far more wraps per master key (~2**32) than a keyring ever sees.

Rotation adds a master key and re-wraps every DEK under it in batches, one transaction each;
ciphertexts never change, and old master keys stay in the keyring until no row needs them, so
every row opens at every moment and an interrupted rotation is finished by running it again.

    VaultError                  a secret that cannot be opened; never a partial plaintext
    ├── SecretTampered          ciphertext, nonce, wrapped key, id or purpose changed
    └── MasterKeyMissing        the row's master key is not in the keyring
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from broker.db import new_id, transaction
from broker.keyring import (
    Keyring,
    MasterKey,
    UnknownKeyId,
    add_active_key,
    load_keyring,
    retire_keys,
)
from broker.models import SealedSecret, utcnow
from broker.settings import Settings

_NONCE_BYTES = 12
_DEK_BYTES = 32
_WRAPPED_BYTES = _NONCE_BYTES + _DEK_BYTES + 16
_PURPOSE_MAX = 40  # sealed_secrets.purpose is String(40)


class Sealed(Protocol):
    """What opening a secret reads: a `SealedSecret` row, or the same columns read with Core."""

    @property
    def id(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def key_id(self) -> str: ...
    @property
    def wrapped_key(self) -> bytes: ...
    @property
    def nonce(self) -> bytes: ...
    @property
    def ciphertext(self) -> bytes: ...


class VaultError(Exception):
    def __init__(self, message: str, *, secret_id: str | None = None) -> None:
        super().__init__(message)
        self.secret_id = secret_id


class SecretTampered(VaultError):
    pass


class MasterKeyMissing(VaultError):
    pass


def _aad(label: bytes, *fields: str) -> bytes:
    # Length-prefixed so that no two field lists encode alike ("a", "bc" vs "ab", "c").
    out = bytearray(b"latchkey.vault.v1/" + label)
    for value in fields:
        encoded = value.encode("utf-8")
        out += len(encoded).to_bytes(4, "big") + encoded
    return bytes(out)


class Vault:
    """Seals and opens secrets with a keyring.

    `reload`, when given, is called once when a row names a master key this keyring lacks (another
    process rotated the keys since this one loaded them).
    """

    def __init__(self, keyring: Keyring, *, reload: Callable[[], Keyring] | None = None) -> None:
        self._keyring = keyring
        self._reload = reload

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        return cls(load_keyring(settings), reload=lambda: load_keyring(settings))

    @property
    def keyring(self) -> Keyring:
        return self._keyring

    def seal(self, session: Session, plaintext: str | bytes, purpose: str) -> SealedSecret:
        """A new row holding `plaintext`, added to `session`."""
        if not 0 < len(purpose) <= _PURPOSE_MAX:
            raise ValueError(f"purpose must be 1-{_PURPOSE_MAX} characters")
        secret = SealedSecret(id=new_id(), purpose=purpose)
        self._encrypt(secret, _as_bytes(plaintext))
        secret.created_at = utcnow()
        session.add(secret)
        return secret

    def open(self, secret: Sealed, *, purpose: str | None = None) -> bytes:
        """The plaintext. Pass the `purpose` the caller expects: a row reached through a swapped
        reference (the TOTP id pointing at a password row) is then refused as well."""
        if purpose is not None and purpose != secret.purpose:
            raise SecretTampered(
                f"secret {secret.id} is not a {purpose!r} secret", secret_id=secret.id
            )
        dek = self._unwrap(secret)
        try:
            return AESGCM(dek).decrypt(
                secret.nonce, secret.ciphertext, _aad(b"content", secret.id, secret.purpose)
            )
        except (InvalidTag, ValueError):
            raise SecretTampered(
                f"secret {secret.id} does not authenticate", secret_id=secret.id
            ) from None

    def open_text(self, secret: Sealed, *, purpose: str | None = None) -> str:
        try:
            return self.open(secret, purpose=purpose).decode("utf-8")
        except UnicodeDecodeError:
            raise VaultError(f"secret {secret.id} is not text", secret_id=secret.id) from None

    def replace(self, secret: SealedSecret, plaintext: str | bytes) -> None:
        """New contents under a new data key, wrapped by the active master key.

        Load the row `FOR UPDATE` when a rotation may run at the same time.
        """
        self._encrypt(secret, _as_bytes(plaintext))
        secret.rotated_at = utcnow()

    def rewrap(self, secret: SealedSecret) -> bool:
        """Wrap the row's data key with the active master key; the ciphertext is untouched.

        Returns False when it already was. Unwrapping authenticates the wrapped key, so a row
        whose wrapped key was tampered with raises instead of being re-wrapped.
        """
        active = self._keyring.active
        if secret.key_id == active.kid:
            return False
        dek = self._unwrap(secret)
        secret.wrapped_key = _wrap(active, dek, secret)
        secret.key_id = active.kid
        secret.rotated_at = utcnow()
        return True

    def _encrypt(self, secret: SealedSecret, plaintext: bytes) -> None:
        dek = AESGCM.generate_key(bit_length=_DEK_BYTES * 8)
        nonce = secrets.token_bytes(_NONCE_BYTES)
        active = self._keyring.active
        secret.nonce = nonce
        secret.ciphertext = AESGCM(dek).encrypt(
            nonce, plaintext, _aad(b"content", secret.id, secret.purpose)
        )
        secret.wrapped_key = _wrap(active, dek, secret)
        secret.key_id = active.kid

    def _unwrap(self, secret: Sealed) -> bytes:
        master = self._master(secret)
        blob = secret.wrapped_key
        if len(blob) != _WRAPPED_BYTES:
            raise SecretTampered(
                f"secret {secret.id} has a malformed wrapped key", secret_id=secret.id
            )
        try:
            return AESGCM(master.reveal()).decrypt(
                blob[:_NONCE_BYTES],
                blob[_NONCE_BYTES:],
                _aad(b"dek", secret.id, secret.purpose, master.kid),
            )
        except InvalidTag:
            raise SecretTampered(
                f"secret {secret.id}: the data key does not authenticate", secret_id=secret.id
            ) from None

    def _master(self, secret: Sealed) -> MasterKey:
        try:
            return self._keyring.get(secret.key_id)
        except UnknownKeyId:
            if self._reload is not None:
                self._keyring = self._reload()
                if secret.key_id in self._keyring:
                    return self._keyring.get(secret.key_id)
        raise MasterKeyMissing(
            f"secret {secret.id} is wrapped by master key {secret.key_id!r}, "
            "which is not in the keyring",
            secret_id=secret.id,
        )


def _wrap(master: MasterKey, dek: bytes, secret: SealedSecret) -> bytes:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    aad = _aad(b"dek", secret.id, secret.purpose, master.kid)
    return nonce + AESGCM(master.reveal()).encrypt(nonce, dek, aad)


def _as_bytes(plaintext: str | bytes) -> bytes:
    return plaintext.encode("utf-8") if isinstance(plaintext, str) else bytes(plaintext)


# --- rotation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RotationSummary:
    active_kid: str
    added_kid: str | None
    to_rewrap: int  # rows under another key when the pass began
    rewrapped: int
    batches: int
    failed: tuple[str, ...]  # ids of rows that would not unwrap: see `latchkey keys status`
    remaining: int  # rows still under another key when the pass ended
    retired: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        return self.remaining == 0


Progress = Callable[[int, int], None]


def key_usage(session: Session) -> dict[str, int]:
    """How many rows each master key wraps."""
    rows = session.execute(
        select(SealedSecret.key_id, func.count()).group_by(SealedSecret.key_id)
    ).all()
    return {kid: count for kid, count in rows}


def rotate(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    batch_size: int = 500,
    new_key: bool = True,
    retire: bool = False,
    progress: Progress | None = None,
) -> RotationSummary:
    """Add a master key (unless `new_key` is False: resume) and re-wrap every data key with it.

    The new key is in the keyring file (written atomically) before any row uses it, and old keys
    stay until `retire`, so an interruption at any point leaves every row readable; a re-run
    with `new_key=False` re-wraps what is left. `progress(done, total)` follows each batch.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    keyring = add_active_key(settings) if new_key else load_keyring(settings)
    vault = Vault(keyring)
    active = keyring.active.kid
    stale = SealedSecret.key_id != active
    with transaction(factory) as session:
        total = session.scalar(select(func.count()).select_from(SealedSecret).where(stale)) or 0

    rewrapped = batches = 0
    failed: list[str] = []
    after = ""
    while True:
        # Keyset pagination: a row that fails is passed over, not retried forever. FOR UPDATE
        # keeps a concurrent `Vault.replace` from interleaving with the re-wrap on PostgreSQL.
        query = (
            select(SealedSecret)
            .where(stale, SealedSecret.id > after)
            .order_by(SealedSecret.id)
            .limit(batch_size)
            .with_for_update()
        )
        with transaction(factory) as session:
            rows = session.scalars(query).all()
            if not rows:
                break
            for row in rows:
                try:
                    rewrapped += vault.rewrap(row)
                except VaultError:
                    failed.append(row.id)
            after = rows[-1].id
        batches += 1
        if progress is not None:
            progress(rewrapped + len(failed), total)

    with transaction(factory) as session:
        remaining = session.scalar(select(func.count()).select_from(SealedSecret).where(stale))
    summary = RotationSummary(
        active_kid=active,
        added_kid=active if new_key else None,
        to_rewrap=total,
        rewrapped=rewrapped,
        batches=batches,
        failed=tuple(failed),
        remaining=remaining or 0,
    )
    if retire and summary.complete:
        return dataclasses.replace(summary, retired=retire_unused(factory, settings))
    return summary


def retire_unused(factory: sessionmaker[Session], settings: Settings) -> tuple[str, ...]:
    """Remove from the keyring file every inactive master key that no row uses.

    Restart brokers that loaded the old keyring first: until then they seal with the old key.
    """
    keyring = load_keyring(settings)
    with transaction(factory) as session:
        usage = key_usage(session)
    unused = tuple(
        kid for kid in keyring.kids if kid != keyring.active.kid and usage.get(kid, 0) == 0
    )
    if unused:
        retire_keys(settings, unused)
    return unused
