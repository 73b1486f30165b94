"""What a person running `latchkey` is told when a command cannot do its work: one line.

    Problem(what, where, fix)      "what went wrong (where). What to do."

Start-up checks raise `Problem` themselves (`broker/startup.py`); `explain` turns anything else a
command may meet (a configuration value, the keyring, the database, the file system) into one.
The line never holds a secret: database URLs are shown without their password, keyrings by path.
The traceback is for `--debug` only (`latchkey/errors.py`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from broker.keyring import KeyringError
from broker.settings import SettingsError

_URL_VAR = "LATCHKEY_DATABASE_URL"
_TIMEOUT_VAR = "LATCHKEY_DB_STATEMENT_TIMEOUT_S"


@dataclass
class Problem(Exception):
    what: str
    where: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        line = self.what
        if self.where:
            line += f" ({self.where})"
        if self.fix:
            line += f". {self.fix[0].upper()}{self.fix[1:]}"
        return line.rstrip(".") + "."


def explain(error: BaseException) -> Problem:
    """The one line for `error` (what, where, what to do)."""
    if isinstance(error, Problem):
        return error
    if isinstance(error, SettingsError):
        return Problem(str(error), "environment", "fix the variable, or unset it for the default")
    if isinstance(error, KeyringError):
        # Its messages name the keyring's place and the command that fixes it.
        return Problem(str(error))
    if isinstance(error, NoSuchModuleError | ArgumentError):
        return Problem(
            "the database URL cannot be used",
            _URL_VAR,
            "use postgresql+psycopg://USER@HOST:5432/DATABASE or sqlite:///PATH",
        )
    if isinstance(error, OperationalError | DBAPIError):
        return _database(error)
    if isinstance(error, PermissionError):
        return Problem(
            "permission denied",
            str(error.filename or ""),
            "let the user running latchkey read (and for the data directory, write) it",
        )
    if isinstance(error, OSError) and error.strerror:
        return Problem(error.strerror, str(error.filename or ""), None)
    return Problem(
        f"unexpected error: {type(error).__name__}: {_first_line(str(error))}",
        None,
        "run `latchkey --debug ...` for the traceback, and report it",
    )


def _database(error: DBAPIError) -> Problem:
    where = database_place()
    detail = _first_line(str(error.orig)) if error.orig is not None else ""
    lowered = detail.lower()
    if "statement timeout" in lowered or lowered == "interrupted":
        return Problem(
            "the database did not answer in time",
            where,
            f"check the database server's health, or raise {_TIMEOUT_VAR}",
        )
    if "timeout expired" in lowered:
        return Problem(
            "the database did not answer the connection in time",
            where,
            "check that the server runs and the network reaches it, or raise "
            "LATCHKEY_DB_CONNECT_TIMEOUT_S",
        )
    if "unable to open database file" in lowered:
        return Problem(
            "cannot open the SQLite database",
            where,
            "check that its directory exists and the user running latchkey may write there",
        )
    if "does not exist" in lowered and ("relation" in lowered or "table" in lowered):
        return Problem("the database has no tables yet", where, "run `latchkey db upgrade` first")
    return Problem(
        f"cannot use the database: {detail or type(error).__name__}",
        where,
        f"check that the server runs and accepts this user, and {_URL_VAR}",
    )


def database_place() -> str:
    """The configured database, as the person set it, without its password."""
    raw = os.environ.get(_URL_VAR)
    if not raw:
        data_dir = os.environ.get("LATCHKEY_DATA_DIR") or ".latchkey"
        return f"SQLite under LATCHKEY_DATA_DIR={data_dir}"
    try:
        shown = make_url(raw).render_as_string(hide_password=True)
    except ArgumentError:
        return _URL_VAR
    return f"{_URL_VAR}={shown}"


def _first_line(text: str) -> str:
    for line in text.strip().splitlines():
        if line.strip():
            return line.strip()
    return ""
