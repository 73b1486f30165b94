"""Accounts: the third-party logins the vault holds (name, app, login URL, username, secrets)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Protocol
from urllib.parse import urlsplit

from sqlalchemy import delete
from sqlalchemy.orm import Session

from broker import audit
from broker.errors import InvalidInput
from broker.models import Account, CollectionItem, SealedSecret, Share, utcnow
from broker.outbox import request_sync
from broker.services._lookup import clean_name, get
from broker.totp import TotpError, TotpKey


class Sealer(Protocol):
    """The part of `broker.vault.Vault` the services use."""

    def seal(self, session: Session, plaintext: str | bytes, purpose: str) -> SealedSecret: ...


@dataclass(frozen=True)
class AccountInput:
    name: str
    app_name: str
    login_url: str
    username: str
    password: str
    totp_secret: str | None = None
    labels: Sequence[str] = ()


MAX_URL = 2048
MAX_USERNAME = 320  # the column's size, and an email address's limit (RFC 5321 §4.5.3)
MAX_SECRET = 1024


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def clean_login_url(value: str) -> str:
    """The page the extension opens and fills: https, or plain http on loopback only (a
    development site), never with credentials in it (DESIGN.md, "Security model")."""
    url = value.strip()
    if not url:
        raise InvalidInput("The login URL must not be empty.", field="login_url")
    if len(url) > MAX_URL:
        raise InvalidInput(f"The login URL is longer than {MAX_URL} characters.", field="login_url")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        raise InvalidInput("The login URL is not a valid URL.", field="login_url") from None
    if any(c.isspace() for c in url) or parts.scheme not in ("http", "https") or not host:
        raise InvalidInput(
            "The login URL must be a full URL such as https://example.com/login.", field="login_url"
        )
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidInput(
            "The login URL must not carry a username or password (user@host).", field="login_url"
        )
    if parts.scheme == "http" and not _loopback(host):
        raise InvalidInput(
            "The login URL must use https (plain http only for 127.0.0.1 or localhost).",
            field="login_url",
        )
    return url


def clean_username(value: str) -> str:
    username = value.strip()
    if not username:
        raise InvalidInput("The username must not be empty.", field="username")
    if len(username) > MAX_USERNAME:
        raise InvalidInput(
            f"The username is longer than {MAX_USERNAME} characters.", field="username"
        )
    return username


def clean_password(value: str) -> str:
    if not value:
        raise InvalidInput("The password must not be empty.", field="password")
    if len(value) > MAX_SECRET:
        raise InvalidInput(
            f"The password is longer than {MAX_SECRET} characters.", field="password"
        )
    return value


def _clean_labels(labels: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for label in labels:
        text = clean_name(label, field="labels", max_length=50)
        if text not in cleaned:
            cleaned.append(text)
    return cleaned


def canonical_totp(value: str) -> str:
    """An owner's TOTP input (base32 secret or `otpauth://` URI), stored as a canonical URI."""
    try:
        return TotpKey.parse(value).to_uri()
    except TotpError as exc:
        raise InvalidInput(
            f"The verification-code secret is not valid: {exc}.", field="totp_secret"
        ) from None


LoginKey = tuple[str, str, str]


def login_key(name: str, login_url: str, username: str) -> LoginKey:
    """What makes two accounts the same login: name (any case), login origin and username.

    An import re-run matches on it, and adding an account its owner already has (a form sent
    twice) is refused on it.
    """
    parts = urlsplit(login_url)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    return (name.casefold(), origin, username)


class InvalidAccount(InvalidInput):
    """Every field of an account that breaks a rule, so a form can mark them all at once."""

    def __init__(self, problems: dict[str, str]) -> None:
        field, message = next(iter(problems.items()))
        super().__init__(message, field=field)
        self.problems = problems


def _clean(data: AccountInput) -> AccountInput:
    """The input cleaned, or `InvalidAccount` naming every bad field; nothing is written."""
    problems: dict[str, str] = {}

    def check(field: str, clean: Callable[[], str]) -> str:
        try:
            return clean()
        except InvalidInput as exc:
            problems.setdefault(field, exc.message)
            return ""

    name = check("name", lambda: clean_name(data.name))
    app_name = check(
        "app_name", lambda: clean_name(data.app_name, field="app_name", label="app name")
    )
    login_url = check("login_url", lambda: clean_login_url(data.login_url))
    username = check("username", lambda: clean_username(data.username))
    password = check("password", lambda: clean_password(data.password))
    totp = None
    if data.totp_secret and data.totp_secret.strip():
        totp = check("totp_secret", lambda: canonical_totp(data.totp_secret or ""))
    labels = list(data.labels)
    try:
        labels = _clean_labels(data.labels)
    except InvalidInput as exc:
        problems.setdefault("labels", exc.message)
    if problems:
        raise InvalidAccount(problems)
    return AccountInput(
        name=name,
        app_name=app_name,
        login_url=login_url,
        username=username,
        password=password,
        totp_secret=totp,
        labels=labels,
    )


def create_account(
    session: Session,
    workspace_id: str,
    data: AccountInput,
    *,
    vault: Sealer,
    actor_id: str | None = None,
) -> Account:
    data = _clean(data)
    account = Account(
        workspace_id=workspace_id,
        name=data.name,
        app_name=data.app_name,
        login_url=data.login_url,
        username=data.username,
        labels=list(data.labels),
    )
    account.password_secret_id = _seal(session, vault, data.password, "account.password")
    if data.totp_secret:
        account.totp_secret_id = _seal(session, vault, data.totp_secret, "account.totp")
    session.add(account)
    session.flush()
    audit.record(
        session,
        workspace_id,
        "account.created",
        actor_id=actor_id,
        target_type="account",
        target_id=account.id,
        name=account.name,
    )
    return account


def rename_account(
    session: Session,
    workspace_id: str,
    account_id: str,
    *,
    name: str | None = None,
    app_name: str | None = None,
    actor_id: str | None = None,
) -> Account:
    """A new name or app name changes the Okta label: the account is queued for sync."""
    account = get(session, Account, workspace_id, account_id)
    if name is not None:
        account.name = clean_name(name)
    if app_name is not None:
        account.app_name = clean_name(app_name, field="app_name", label="app name")
    account.updated_at = utcnow()
    audit.record(
        session,
        workspace_id,
        "account.renamed",
        actor_id=actor_id,
        target_type="account",
        target_id=account.id,
        name=account.name,
        app_name=account.app_name,
    )
    request_sync(session, [account.id], "account renamed")
    return account


def update_login(
    session: Session,
    workspace_id: str,
    account_id: str,
    *,
    login_url: str | None = None,
    username: str | None = None,
    labels: Sequence[str] | None = None,
    actor_id: str | None = None,
) -> Account:
    account = get(session, Account, workspace_id, account_id)
    if login_url is not None:
        account.login_url = clean_login_url(login_url)
    if username is not None:
        account.username = clean_username(username)
    if labels is not None:
        account.labels = _clean_labels(labels)
    account.updated_at = utcnow()
    audit.record(
        session,
        workspace_id,
        "account.updated",
        actor_id=actor_id,
        target_type="account",
        target_id=account.id,
    )
    return account


def set_secret(
    session: Session,
    workspace_id: str,
    account_id: str,
    *,
    vault: Sealer,
    password: str | None = None,
    totp_secret: str | None = None,
    actor_id: str | None = None,
) -> Account:
    """Replace the password and/or TOTP secret; the old sealed rows are deleted with it."""
    account = get(session, Account, workspace_id, account_id)
    old: list[str | None] = []
    if password is not None:
        password = clean_password(password)
        old.append(account.password_secret_id)
        account.password_secret_id = _seal(session, vault, password, "account.password")
    if totp_secret is not None:
        old.append(account.totp_secret_id)
        if totp_secret.strip():
            uri = canonical_totp(totp_secret)
            account.totp_secret_id = _seal(session, vault, uri, "account.totp")
        else:
            account.totp_secret_id = None
    session.flush()
    _delete_secrets(session, old)
    account.updated_at = utcnow()
    audit.record(
        session,
        workspace_id,
        "account.secret_changed",
        actor_id=actor_id,
        target_type="account",
        target_id=account.id,
        password=password is not None,
        totp=totp_secret is not None,
    )
    return account


def _seal(session: Session, vault: Sealer, plaintext: str, purpose: str) -> str:
    secret = vault.seal(session, plaintext, purpose)
    session.flush()  # the row must exist before an account points at it
    return secret.id


def _delete_secrets(session: Session, ids: Sequence[str | None]) -> None:
    wanted = [i for i in ids if i]
    if wanted:
        session.execute(delete(SealedSecret).where(SealedSecret.id.in_(wanted)))


def delete_account(
    session: Session, workspace_id: str, account_id: str, *, actor_id: str | None = None
) -> None:
    """Wipe the secrets and shares now; the row stays as a tombstone until sync removes the app."""
    account = get(session, Account, workspace_id, account_id)
    secrets = [account.password_secret_id, account.totp_secret_id]
    account.password_secret_id = account.totp_secret_id = None
    account.deleted_at = utcnow()
    session.flush()
    _delete_secrets(session, secrets)
    session.execute(delete(Share).where(Share.account_id == account.id))
    session.execute(delete(CollectionItem).where(CollectionItem.account_id == account.id))
    audit.record(
        session,
        workspace_id,
        "account.deleted",
        actor_id=actor_id,
        target_type="account",
        target_id=account.id,
    )
    request_sync(session, [account.id], "account deleted")
