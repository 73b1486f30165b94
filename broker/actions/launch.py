"""A chiclet launch, and releasing its login to the extension: the grant, the credentials, codes.

RBAC decides at each step (DESIGN.md, steps 5 and 6): at launch, whether to hand out a grant; at
redemption and at every code request again — the authoritative check, since this one decides
whether anything leaves the vault. Every release and every refusal is an audit event that names
what was released or why not, never the secret.

A refusal raises a `Refused` subclass (a `broker.errors.DomainError`) carrying its audit event.
`redeem_in` and `code_in` run in the adapter's transaction and make every check before their
first write, so a refusal has changed nothing: the adapter records the event in the same
transaction and commits (`broker.ext_api.endpoints`), and maps the class to its wire code.
"No such account" and "no access" read alike on purpose.
"""

from __future__ import annotations

import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

from sqlalchemy import Select, Table, bindparam, insert, select

from broker import audit, rbac, totp
from broker.context import BrokerContext
from broker.db import Executor, new_id, transaction
from broker.errors import DomainError, InvalidInput, PermissionDenied
from broker.ext_tables import FillTicket
from broker.grants import GrantError, find_grant, insert_grant, session_live, spend_grant
from broker.grants import refusal as grant_refusal
from broker.models import Account, Member, SealedSecret, Workspace
from broker.sessions import Principal
from broker.tokens import hash_token, new_token
from broker.vault import Vault

FILL_TICKET_TTL = timedelta(minutes=5)  # long enough for a username → password → code login
MAX_TICKET_CHARS = 128

# What the extension may show.
_DENIALS = {
    rbac.Denial.UNKNOWN_ACCOUNT: ("no_access", "You do not have access to this account."),
    rbac.Denial.NO_ACCESS: ("no_access", "You do not have access to this account."),
    rbac.Denial.LOGIN_ONLY: (
        "login_only",
        "Login-only members cannot receive credentials through the extension.",
    ),
    rbac.Denial.DEACTIVATED: ("deactivated", "Your membership is deactivated."),
}


class Holder(Protocol):
    """An authenticated extension (`broker.ext_api.credentials.Caller` is one)."""

    @property
    def credential_id(self) -> str: ...
    @property
    def member_id(self) -> str: ...
    @property
    def workspace_id(self) -> str: ...
    @property
    def member(self) -> rbac.MemberFacts: ...  # read in the caller's transaction


class Refused(DomainError):
    """A release refused; `note` is the audit event the refusal leaves behind."""

    def __init__(self, message: str, *, note: audit.Note | None = None) -> None:
        super().__init__(message)
        self.note = note


class GrantRefused(Refused, InvalidInput):
    """The grant is unknown, tampered, expired, used, another member's, or its sign-in ended."""


class TicketRefused(Refused, InvalidInput):
    """The fill ticket is unknown, expired, or another credential's."""


class AccessRefused(Refused, PermissionDenied):
    """RBAC says no; `reason` is what the extension may show (`no_access`, `login_only`, ...)."""

    def __init__(self, message: str, *, reason: str, note: audit.Note | None = None) -> None:
        super().__init__(message, note=note)
        self.reason = reason


class NothingToRelease(Refused, InvalidInput):
    """The account has no password to fill, or no verification-code step."""


@dataclass(frozen=True)
class Release:
    account_id: str
    name: str
    app_name: str
    login_url: str
    origin: str
    username: str
    password: str
    has_code_step: bool
    ticket: str
    ticket_expires_in: int

    def as_json(self) -> dict[str, Any]:
        return {
            "account": {
                "id": self.account_id,
                "name": self.name,
                "app_name": self.app_name,
                "login_url": self.login_url,
                "origin": self.origin,
            },
            "username": self.username,
            "password": self.password,
            "has_code_step": self.has_code_step,
            "ticket": self.ticket,
            "ticket_expires_in": self.ticket_expires_in,
        }


@dataclass(frozen=True)
class CodeRelease:
    code: str
    expires_in: int

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "expires_in": self.expires_in}


def exact_origin(url: str) -> str:
    """RFC 6454 §4: scheme, host and port; the default port is left out, as browsers do."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(scheme)
    port = parts.port
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"


@dataclass(frozen=True)
class LaunchOutcome:
    """A fresh grant for the launch page, or the denial behind the one *blocked* page."""

    grant: str | None
    account_label: str = ""
    denial: rbac.Denial | None = None


# Core statements on the tables, built once: each runs on every launch, and the ORM's identity
# map and unit of work buy nothing for rows read once and written once.
_ACCOUNTS = cast(Table, Account.__table__)
_WORKSPACES = cast(Table, Workspace.__table__)
_SEALED = cast(Table, SealedSecret.__table__)
_TICKETS = cast(Table, FillTicket.__table__)
_INSERT_TICKET = insert(_TICKETS)

# The account at `/launch`: live, and in the workspace this deployment serves; with RBAC's
# strongest role of the member on it (`rbac.GRANTED_STRENGTH`, bound to `member_id`).
_LAUNCHED_ACCOUNT = (
    select(
        _ACCOUNTS.c.id,
        _ACCOUNTS.c.workspace_id,
        _ACCOUNTS.c.name,
        _ACCOUNTS.c.app_name,
        rbac.GRANTED_STRENGTH.label("strength"),
    )
    .join(_WORKSPACES, _WORKSPACES.c.id == _ACCOUNTS.c.workspace_id)
    .where(
        _ACCOUNTS.c.id == bindparam("account_id"),
        _ACCOUNTS.c.deleted_at.is_(None),
        _WORKSPACES.c.name == bindparam("workspace_name"),
    )
)


def _released_account(secret_id: Any) -> Select[Any]:
    """The account, live in the caller's workspace, with the sealed secret `secret_id` names (an
    outer join: an account without that secret still answers, with NULLs) and RBAC's strongest
    role of the member on it (`rbac.GRANTED_STRENGTH`, bound to `member_id`)."""
    return (
        select(
            _ACCOUNTS.c.id,
            _ACCOUNTS.c.name,
            _ACCOUNTS.c.app_name,
            _ACCOUNTS.c.login_url,
            _ACCOUNTS.c.username,
            _ACCOUNTS.c.totp_secret_id,
            _SEALED.c.id.label("secret_id"),
            _SEALED.c.purpose,
            _SEALED.c.key_id,
            _SEALED.c.wrapped_key,
            _SEALED.c.nonce,
            _SEALED.c.ciphertext,
            rbac.GRANTED_STRENGTH.label("strength"),
        )
        .select_from(_ACCOUNTS.outerjoin(_SEALED, _SEALED.c.id == secret_id))
        .where(
            _ACCOUNTS.c.id == bindparam("account_id"),
            _ACCOUNTS.c.deleted_at.is_(None),
            _ACCOUNTS.c.workspace_id == bindparam("workspace_id"),
        )
    )


_WITH_PASSWORD = _released_account(_ACCOUNTS.c.password_secret_id)
_WITH_TOTP = _released_account(_ACCOUNTS.c.totp_secret_id)
_FIND_TICKET = select(
    _TICKETS.c.id,
    _TICKETS.c.token_hash,
    _TICKETS.c.credential_id,
    _TICKETS.c.account_id,
    _TICKETS.c.expires_at,
).where(_TICKETS.c.token_hash == bindparam("digest"))


@dataclass(frozen=True)
class _SealedColumns:
    """A sealed secret read with Core (`broker.vault.Sealed`)."""

    id: str
    purpose: str
    key_id: str
    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes


def launch(ctx: BrokerContext, member_id: str, session_id: str, account_id: str) -> LaunchOutcome:
    """RBAC's answer for this member and account at `/launch`: a grant, or an audited refusal.

    The grant is bound to the broker session the launch page runs in (`session_id`)."""
    with transaction(ctx.sessions) as db:
        member = db.get(Member, member_id)
        principal = None
        if member is not None:
            principal = Principal(
                member.id,
                member.workspace_id,
                member.email,
                member.name,
                member.role,
                member.active,
                member.external_id,
            )
        return launch_in(db, ctx, principal, session_id, account_id)


def launch_in(
    db: Executor, ctx: BrokerContext, member: Principal | None, session_id: str, account_id: str
) -> LaunchOutcome:
    """`launch` in the caller's transaction, for a member read in it (the web adapter reads the
    broker session and its member, and launches, in one transaction): the account and its
    workspace in one statement, RBAC's roles in one, the grant in one INSERT."""
    account = db.execute(
        _LAUNCHED_ACCOUNT,
        {
            "account_id": account_id,
            "workspace_name": ctx.settings.workspace_name,
            "member_id": member.id if member is not None else "",
        },
    ).first()
    workspace_id = account.workspace_id if account is not None else ctx.workspace_id(db)
    if member is None or member.workspace_id != workspace_id:
        # A member gone, or of another workspace, has no access here whatever their shares say.
        decision = rbac.LaunchDecision(False, rbac.Denial.NO_ACCESS, None)
    else:
        decision = rbac.decide_by_strength(
            member.facts,
            None if account is None else account.strength,
            account_live=account is not None,
        )
    if member is None or account is None or not decision.allowed:
        # RBAC found the account live, or refused: never a grant without it.
        denial = decision.denial or rbac.Denial.UNKNOWN_ACCOUNT
        audit.insert_event(
            db,
            workspace_id,
            "launch.blocked",
            actor_id=member.id if member is not None else None,
            target_type="account",
            target_id=account_id[:64],
            reason=denial.value,
        )
        return LaunchOutcome(None, denial=denial)
    grant = insert_grant(
        db,
        workspace_id=workspace_id,
        member_id=member.id,
        account_id=account.id,
        session_id=session_id,
    )
    return LaunchOutcome(grant, account_label=f"{account.name} - {account.app_name}")


def redeem_in(db: Executor, vault: Vault, caller: Holder, grant: str, now: datetime) -> Release:
    """Spend a launch grant: the login (username, password) and a fill ticket for codes.

    In the caller's transaction (the extension API authenticates the call in the same one). Every
    check comes before the first write, so a `Refused` leaves this transaction as it found it:
    the caller records the refusal's audit event and commits (the proof's id stays spent)."""
    found = find_grant(db, grant)
    refused = grant_refusal(found, caller.member_id, now)
    if refused is not None:
        raise _grant_refused(caller, refused)
    assert found is not None
    if not session_live(found, now):
        raise GrantRefused(
            "The sign-in the grant was made in has ended. Launch the account again from Okta.",
            note=_note(
                caller,
                "grant.rejected",
                found.account_id,
                reason="session_ended",
                grant_id=found.id,
            ),
        )
    account = _allowed_account(db, caller, found.account_id, _WITH_PASSWORD, stage="redeem")
    password = _open(vault, account, "account.password")
    if password is None:
        raise NothingToRelease("This account has no password to fill.")
    try:  # the single-use gate, last: of two concurrent redemptions exactly one passes it
        spend_grant(db, found, redeemed_by_id=caller.credential_id, at=now)
    except GrantError as exc:
        raise _grant_refused(caller, exc) from None
    ticket, ticket_id = new_token(), new_id()
    db.execute(
        _INSERT_TICKET,
        {
            "id": ticket_id,
            "token_hash": hash_token(ticket),
            "workspace_id": caller.workspace_id,
            "credential_id": caller.credential_id,
            "member_id": caller.member_id,
            "account_id": account.id,
            "grant_id": found.id,
            "created_at": now,
            "expires_at": now + FILL_TICKET_TTL,
        },
    )
    has_code_step = account.totp_secret_id is not None
    audit.insert_event(
        db,
        caller.workspace_id,
        "credential.released",
        actor_id=caller.member_id,
        target_type="account",
        target_id=account.id,
        at=now,
        grant_id=found.id,
        credential_id=caller.credential_id,
        ticket_id=ticket_id,
        has_code_step=has_code_step,
    )
    return Release(
        account_id=account.id,
        name=account.name,
        app_name=account.app_name,
        login_url=account.login_url,
        origin=exact_origin(account.login_url),
        username=account.username,
        password=password,
        has_code_step=has_code_step,
        ticket=ticket,
        ticket_expires_in=int(FILL_TICKET_TTL.total_seconds()),
    )


def code_in(db: Executor, vault: Vault, caller: Holder, ticket: str, now: datetime) -> CodeRelease:
    """The account's current verification code, for the holder of a live fill ticket. In the
    caller's transaction; like `redeem_in`, it writes (its audit event) only after every check."""
    row = _ticket(db, caller, ticket, now)
    account = _allowed_account(db, caller, row.account_id, _WITH_TOTP, stage="code")
    uri = _open(vault, account, "account.totp")
    if uri is None:
        raise NothingToRelease("This account has no verification-code step.")
    code = totp.current_code(uri, now)
    audit.insert_event(
        db,
        caller.workspace_id,
        "code.released",
        actor_id=caller.member_id,
        target_type="account",
        target_id=account.id,
        at=now,
        credential_id=caller.credential_id,
        ticket_id=row.id,
    )
    return CodeRelease(code.code, math.ceil(code.remaining))


def _grant_refused(caller: Holder, exc: GrantError) -> GrantRefused:
    return GrantRefused(
        f"{exc.message} Launch the account again from Okta.",
        note=_note(
            caller, "grant.rejected", exc.account_id, reason=exc.reason, grant_id=exc.grant_id
        ),
    )


def _ticket(db: Executor, caller: Holder, ticket: str, now: datetime) -> Any:
    digest = hash_token(ticket) if 0 < len(ticket) <= MAX_TICKET_CHARS else ""
    row = db.execute(_FIND_TICKET, {"digest": digest}).first() if digest else None
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        raise TicketRefused(
            "The fill ticket is not valid.",
            note=_note(caller, "ticket.rejected", None, reason="unknown"),
        )
    reason = None
    if row.credential_id != caller.credential_id:
        reason = "foreign"
    elif row.expires_at <= now:
        reason = "expired"
    if reason is not None:
        raise TicketRefused(
            "The fill ticket is not valid for this extension any more. Launch again from Okta.",
            note=_note(caller, "ticket.rejected", row.account_id, reason=reason, ticket_id=row.id),
        )
    return row


def _allowed_account(
    db: Executor, caller: Holder, account_id: str, lookup: Select[Any], *, stage: str
) -> Any:
    """The account with the secret to release, when RBAC says the caller may launch it now."""
    account = db.execute(
        lookup,
        {
            "account_id": account_id,
            "workspace_id": caller.workspace_id,
            "member_id": caller.member_id,
        },
    ).first()
    decision = rbac.decide_by_strength(
        caller.member,
        None if account is None else account.strength,
        account_live=account is not None,
    )
    if not decision.allowed or account is None:
        denial = decision.denial or rbac.Denial.UNKNOWN_ACCOUNT
        reason, text = _DENIALS[denial]
        raise AccessRefused(
            text,
            reason=reason,
            note=_note(caller, "launch.blocked", account_id, reason=denial.value, stage=stage),
        )
    return account


def _open(vault: Vault, account: Any, purpose: str) -> str | None:
    if account.secret_id is None:
        return None
    sealed = _SealedColumns(
        account.secret_id,
        account.purpose,
        account.key_id,
        account.wrapped_key,
        account.nonce,
        account.ciphertext,
    )
    return vault.open_text(sealed, purpose=purpose)


def _note(caller: Holder, action: str, account_id: str | None, **details: Any) -> audit.Note:
    return audit.Note(
        workspace_id=caller.workspace_id,
        action=action,
        actor_id=caller.member_id,
        target_type="account" if account_id else None,
        target_id=account_id,
        details={"credential_id": caller.credential_id, **details},
    )
