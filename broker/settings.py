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


def _list(name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in (_env(name) or "").split(",") if item.strip())


class SettingsError(ValueError):
    """A variable holds a value Latchkey cannot use; the message names it."""


def _seconds(name: str, default: float) -> float:
    value = _env(name)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, not {value!r}") from None
    if not 0 < seconds < float("inf"):
        raise SettingsError(f"{name} must be a positive number of seconds, not {value!r}")
    return seconds


def _secret(name: str) -> Secret | None:
    value = _env(name)
    return Secret(value) if value else None


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    master_key_file: Path
    # A master keyring given inline (same format as the file) wins over the file.
    master_keys: Secret | None = field(default=None)
    broker_url: str = "http://127.0.0.1:8400"
    # Sign-in with Okta (OIDC): the issuer is https://{org} (org server) or .../oauth2/{id}.
    oidc_issuer: str = "http://127.0.0.1:8410"
    oidc_client_id: str = ""
    oidc_client_secret: Secret | None = None
    # The workspace whose members sign in here (one workspace per broker deployment).
    workspace_name: str = "Demo"
    # `chrome-extension://<id>` origins allowed to call the extension API.
    extension_origins: tuple[str, ...] = ()
    session_ttl_s: int = 8 * 3600
    # SCIM bearer token Okta provisions with (compared in constant time; never logged).
    scim_token: Secret | None = None
    # Nothing waits on the database for ever (broker/db.py): a connect, then each statement.
    db_connect_timeout_s: float = 5.0
    db_statement_timeout_s: float = 30.0

    @property
    def oidc_redirect_uri(self) -> str:
        return self.broker_url.rstrip("/") + "/auth/callback"

    @property
    def secure_cookies(self) -> bool:
        """Secure cookies everywhere but plain-http loopback development."""
        return not self.broker_url.startswith(("http://127.0.0.1", "http://localhost"))

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
            oidc_issuer=_env("LATCHKEY_OIDC_ISSUER", "http://127.0.0.1:8410") or "",
            oidc_client_id=_env("LATCHKEY_OIDC_CLIENT_ID", "") or "",
            oidc_client_secret=_secret("LATCHKEY_OIDC_CLIENT_SECRET"),
            workspace_name=_env("LATCHKEY_WORKSPACE", "Demo") or "Demo",
            extension_origins=_list("LATCHKEY_EXTENSION_ORIGINS"),
            session_ttl_s=int(_seconds("LATCHKEY_SESSION_TTL_S", 8 * 3600)),
            scim_token=_secret("LATCHKEY_SCIM_TOKEN"),
            db_connect_timeout_s=_seconds("LATCHKEY_DB_CONNECT_TIMEOUT_S", 5.0),
            db_statement_timeout_s=_seconds("LATCHKEY_DB_STATEMENT_TIMEOUT_S", 30.0),
        )
