"""Checks a process makes before it takes any work: the database is there, answers, holds the
schema this code needs, and the configured keyring opens what the database sealed.

A worker that started on an empty or old database, or with another deployment's keyring, would
claim rows and then fail on each; these checks stop it first, with a `Problem` saying what to do.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from broker.db import engine_for
from broker.keyring import KeyringError, load_keyring
from broker.migrate import current_revision, head_revision
from broker.models import SealedSecret
from broker.problems import Problem, database_place
from broker.settings import Settings
from broker.vault import Vault, VaultError

_UPGRADE = "run `latchkey db upgrade` first"


def check_database_exists(url: str) -> None:
    """A SQLite database must exist already: connecting would create an empty one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database)
    if not path.exists():
        raise Problem(f"no database at {path}", database_place(), _UPGRADE)
    if path.is_file() and path.stat().st_size == 0:  # left by a failed start: still empty
        raise Problem("the database is empty", database_place(), _UPGRADE)


def check_migrated(engine: Engine) -> None:
    current, head = current_revision(engine), head_revision(engine)
    if current is None:
        raise Problem("the database is empty", database_place(), _UPGRADE)
    if current != head:
        raise Problem(
            f"the database is at revision {current}, this latchkey needs {head}",
            database_place(),
            _UPGRADE,
        )


def check_keyring(session: Session, vault: Vault) -> None:
    """Every master key the database used is in the keyring, and opens a secret it sealed."""
    firsts = session.execute(
        select(SealedSecret.key_id, func.min(SealedSecret.id)).group_by(SealedSecret.key_id)
    ).all()
    for key_id, secret_id in firsts:
        secret = session.get_one(SealedSecret, secret_id)
        try:
            vault.open(secret)
        except (KeyringError, VaultError):
            raise Problem(
                f"the keyring cannot open the secrets sealed with master key {key_id!r}",
                "LATCHKEY_MASTER_KEYS or LATCHKEY_MASTER_KEY_FILE",
                "configure the keyring this database was sealed with (see docs/keys.md)",
            ) from None


def check_config(settings: Settings) -> None:
    """What a server checks before it listens, without its database (which may come up later:
    /readyz says when): the database URL can be used, the keyring loads."""
    engine_for(settings).dispose()  # parses the URL and loads its driver; connects to nothing
    load_keyring(settings)


def check_ready(engine: Engine, vault: Vault) -> None:
    """All of the above, for a process about to claim work."""
    check_migrated(engine)
    with Session(engine) as session:
        check_keyring(session, vault)
