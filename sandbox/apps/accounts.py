"""The demo sites' user accounts, in memory.

Errors raised here::

    AccountError
    ├── UnknownAccountError        the site has no such user
    └── PasswordChangeError        .code says why: invalid_credentials, weak_password,
                                   password_reused

Usernames are matched without regard to case (they are email addresses); the spelling given at
creation is the one shown. Passwords are kept as given: these are demo sites, and the sandbox
hands them back to tests and to `latchkey seed demo` through `seed_of`.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from sandbox.apps import totp

MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class DemoCredentials:
    username: str
    password: str
    totp_secret: str | None = None  # unpadded base32


class AccountError(Exception):
    pass


class UnknownAccountError(AccountError):
    pass


class PasswordChangeError(AccountError):
    def __init__(self, code: str, summary: str) -> None:
        super().__init__(summary)
        self.code = code
        self.summary = summary


@dataclass
class _Account:
    username: str
    password: str
    totp_secret: str | None
    last_code_step: int | None = None


def _key(username: str) -> str:
    return username.strip().casefold()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class AccountBook:
    """Accounts per site key; safe to share between threads (TestClient and uvicorn may both)."""

    def __init__(self, *, reject_reused_codes: bool = False) -> None:
        self._by_site: dict[str, dict[str, _Account]] = {}
        self._lock = threading.Lock()
        self._reject_reused_codes = reject_reused_codes

    def put(self, site: str, credentials: DemoCredentials) -> None:
        """Create the account, or replace the password and secret of an existing one."""
        if credentials.totp_secret is not None:
            totp.decode_secret(credentials.totp_secret)  # refuse a malformed secret now
        with self._lock:
            self._by_site.setdefault(site, {})[_key(credentials.username)] = _Account(
                credentials.username, credentials.password, credentials.totp_secret
            )

    def put_all(self, site: str, credentials: Iterable[DemoCredentials]) -> None:
        for one in credentials:
            self.put(site, one)

    def credentials(self, site: str) -> list[DemoCredentials]:
        with self._lock:
            accounts = list(self._by_site.get(site, {}).values())
        return [DemoCredentials(a.username, a.password, a.totp_secret) for a in accounts]

    def display_name(self, site: str, username: str) -> str:
        return self._get(site, username).username

    def check_password(self, site: str, username: str, password: str) -> bool:
        try:
            account = self._get(site, username)
        except UnknownAccountError:
            _same(password, password)  # spend the same time on an unknown user
            return False
        return _same(account.password, password)

    def check_code(self, site: str, username: str, code: str, at: float) -> bool:
        """RFC 6238 §5.2: a code of the current step or one step either side."""
        account = self._get(site, username)
        if account.totp_secret is None:
            return False
        step = totp.verify(totp.decode_secret(account.totp_secret), code, at)
        with self._lock:
            if step is None:
                return False
            last = account.last_code_step
            if self._reject_reused_codes and last is not None and step <= last:
                return False
            account.last_code_step = step
            return True

    def change_password(self, site: str, username: str, current: str, new: str) -> None:
        if not self.check_password(site, username, current):
            raise PasswordChangeError("invalid_credentials", "Your current password is incorrect.")
        if len(new) < MIN_PASSWORD_LENGTH:
            raise PasswordChangeError(
                "weak_password",
                f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.",
            )
        if _same(current, new):
            raise PasswordChangeError(
                "password_reused", "Your new password must differ from the current one."
            )
        account = self._get(site, username)
        with self._lock:
            account.password = new

    def _get(self, site: str, username: str) -> _Account:
        with self._lock:
            account = self._by_site.get(site, {}).get(_key(username))
        if account is None:
            raise UnknownAccountError(username)
        return account
