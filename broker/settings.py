"""Configuration from the environment, in one place (see `.env.example`).

Secrets are typed as `Secret` so that printing or logging a settings object never shows them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


class Secret:
    """A string that keeps itself out of reprs, logs and tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    master_key_file: Path
    # A master keyring given inline (same format as the file) wins over the file.
    master_keys: Secret | None = field(default=None)
    broker_url: str = "http://127.0.0.1:8400"

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(_env("LATCHKEY_DATA_DIR", ".latchkey") or ".latchkey").resolve()
        database_url = _env("LATCHKEY_DATABASE_URL") or f"sqlite:///{data_dir / 'latchkey.db'}"
        key_file = Path(_env("LATCHKEY_MASTER_KEY_FILE") or data_dir / "master.keys")
        inline = _env("LATCHKEY_MASTER_KEYS")
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            master_key_file=key_file,
            master_keys=Secret(inline) if inline else None,
            broker_url=_env("LATCHKEY_BROKER_URL", "http://127.0.0.1:8400") or "",
        )
