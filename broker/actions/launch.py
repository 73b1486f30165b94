"""A chiclet launch, and releasing its login to the extension: the grant, the credentials, codes.

RBAC decides at each step (DESIGN.md, steps 5 and 6): at launch, whether to hand out a grant; at
redemption and at every code request again — the authoritative check, since this one decides
whether anything leaves the vault. Every release and every refusal is an audit event that names
what was released or why not, never the secret.

A refusal raises a `Refused` subclass (a `broker.errors.DomainError`): the work is rolled back,
its audit event is written in a transaction of its own, and the adapter maps the class to its
wire code (`broker.ext_api.endpoints`). "No such account" and "no access" read alike on purpose.
"""

from __future__ import annotations

import hmac
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from broker import audit, rbac, totp
from broker.context import BrokerContext
from broker.db import new_id, transaction
from broker.errors import DomainError, InvalidInput, PermissionDenied
from broker.ext_tables import FillTicket
from broker.grants import GrantError, issue_grant, redeem_grant
from broker.models import Account, Member, SealedSecret, Workspace
from broker.session_models import BrokerSession
from broker.tokens import hash_token, new_token
from broker.vault import Vault

T = TypeVar("T")

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


def launch(ctx: BrokerContext, member_id: str, session_id: str, account_id: str) -> LaunchOutcome:
    """RBAC's answer for this member and account at `/launch`: a grant, or an audited refusal.

    The grant is bound to the broker session the launch page runs in (`session_id`)."""
    with transaction(ctx.sessions) as db:
        return launch_in(db, ctx, db.get(Member, member_id), session_id, account_id)


def launch_in(
    db: Session, ctx: BrokerContext, member: Member | None, session_id: str, account_id: str
) -> LaunchOutcome:
    """`launch` in the caller's transaction, for a member row loaded in it (the web adapter reads
    the broker session and launches in one transaction)."""
    # The account, live and in the workspace this deployment serves, in one statement; holding it
    # here lets RBAC's own lookup of it (and `issue_grant`'s) come from the session, not the store.
    account = db.scalar(
        select(Account)
        .join(Workspace, Workspace.id == Account.workspace_id)
        .where(
            Account.id == account_id,
            Account.deleted_at.is_(None),
            Workspace.name == ctx.settings.workspace_name,
        )
    )
    workspace_id = account.workspace_id if account is not None else ctx.workspace_id(db)
    decision = rbac.decide_member_launch(db, member, workspace_id, account_id)
    if member is None or account is None or not decision.allowed:
        # `decide_member_launch` found the account live, or refused: never a grant without it.
        denial = decision.denial or rbac.Denial.UNKNOWN_ACCOUNT
        audit.record(
            db,
            workspace_id,
            "launch.blocked",
            actor_id=member.id if member is not None else None,
            target_type="account",
            target_id=account_id[:64],
            reason=denial.value,
        )
        return LaunchOutcome(None, denial=denial)
    grant = issue_grant(db, member_id=member.id, account_id=account.id, session_id=session_id)
    return LaunchOutcome(grant, account_label=f"{account.name} - {account.app_name}")


def redeem(ctx: BrokerContext, caller: Holder, grant: str, *, now: datetime) -> Release:
    """Spend a launch grant: the login (username, password) and a fill ticket for codes."""
    return _released(ctx, lambda db: _redeem(db, ctx.vault, caller, grant, now))


def current_code(ctx: BrokerContext, caller: Holder, ticket: str, *, now: datetime) -> CodeRelease:
    """The account's current verification code, for the holder of a live fill ticket."""
    return _released(ctx, lambda db: _current_code(db, ctx.vault, caller, ticket, now))


def _released(ctx: BrokerContext, work: Callable[[Session], T]) -> T:
    try:
        with transaction(ctx.sessions) as db:
            return work(db)
    except Refused as exc:
        # The refused work is rolled back whole; its audit event is written on its own.
        if exc.note is not None:
            with transaction(ctx.sessions) as db:
                audit.record_note(db, exc.note)
        raise


def _redeem(db: Session, vault: Vault, caller: Holder, grant: str, now: datetime) -> Release:
    try:
        spent = redeem_grant(
            db, grant, member_id=caller.member_id, redeemed_by_id=caller.credential_id, now=now
        )
    except GrantError as exc:
        raise GrantRefused(
            f"{exc.message} Launch the account again from Okta.",
            note=_note(
                caller,
                "grant.rejected",
                exc.account_id,
                reason=exc.reason,
                grant_id=exc.grant_id,
            ),
        ) from None
    if not _session_live(db, spent.session_id, caller.member_id, now):
        raise GrantRefused(
            "The sign-in the grant was made in has ended. Launch the account again from Okta.",
            note=_note(
                caller,
                "grant.rejected",
                spent.account_id,
                reason="session_ended",
                grant_id=spent.id,
            ),
        )
    account = _allowed_account(db, caller, spent.account_id, stage="redeem")
    password = _open(db, vault, account.password_secret_id, "account.password")
    if password is None:
        raise NothingToRelease("This account has no password to fill.")
    ticket, ticket_id = new_token(), new_id()
    # A Core INSERT: the hot path needs no ORM object, and no unit-of-work flush, for this row.
    db.execute(
        insert(FillTicket).values(
            id=ticket_id,
            token_hash=hash_token(ticket),
            workspace_id=caller.workspace_id,
            credential_id=caller.credential_id,
            member_id=caller.member_id,
            account_id=account.id,
            grant_id=spent.id,
            created_at=now,
            expires_at=now + FILL_TICKET_TTL,
        )
    )
    has_code_step = account.totp_secret_id is not None
    audit.record(
        db,
        caller.workspace_id,
        "credential.released",
        actor_id=caller.member_id,
        target_type="account",
        target_id=account.id,
        grant_id=spent.id,
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


def _current_code(
    db: Session, vault: Vault, caller: Holder, ticket: str, now: datetime
) -> CodeRelease:
    row = _ticket(db, caller, ticket, now)
    account = _allowed_account(db, caller, row.account_id, stage="code")
    uri = _open(db, vault, account.totp_secret_id, "account.totp")
    if uri is None:
        raise NothingToRelease("This account has no verification-code step.")
    code = totp.current_code(uri, now)
    audit.record(
        db,
        caller.workspace_id,
        "code.released",
        actor_id=caller.member_id,
        target_type="account",
        target_id=account.id,
        credential_id=caller.credential_id,
        ticket_id=row.id,
    )
    return CodeRelease(code.code, math.ceil(code.remaining))


def _ticket(db: Session, caller: Holder, ticket: str, now: datetime) -> FillTicket:
    digest = hash_token(ticket) if 0 < len(ticket) <= MAX_TICKET_CHARS else ""
    row = db.scalar(select(FillTicket).where(FillTicket.token_hash == digest)) if digest else None
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


def _allowed_account(db: Session, caller: Holder, account_id: str, *, stage: str) -> Account:
    member = db.get(Member, caller.member_id)
    if member is None:
        raise AccessRefused("You do not have access to this account.", reason="no_access")
    account = db.get(Account, account_id)  # held, so RBAC's lookup of it is the session's
    decision = rbac.decide_launch(db, rbac.MemberFacts.of(member), caller.workspace_id, account_id)
    if not decision.allowed or account is None:
        denial = decision.denial or rbac.Denial.UNKNOWN_ACCOUNT
        reason, text = _DENIALS[denial]
        raise AccessRefused(
            text,
            reason=reason,
            note=_note(caller, "launch.blocked", account_id, reason=denial.value, stage=stage),
        )
    return account


def _session_live(db: Session, session_id: str, member_id: str, now: datetime) -> bool:
    """The grant is bound to the broker session it was made in: that session must still be on."""
    row = db.get(BrokerSession, session_id)
    return (
        row is not None
        and row.member_id == member_id
        and row.revoked_at is None
        and row.expires_at > now
    )


def _open(db: Session, vault: Vault, secret_id: str | None, purpose: str) -> str | None:
    secret = db.get(SealedSecret, secret_id) if secret_id else None
    return None if secret is None else vault.open_text(secret, purpose=purpose)


def _note(caller: Holder, action: str, account_id: str | None, **details: Any) -> audit.Note:
    return audit.Note(
        workspace_id=caller.workspace_id,
        action=action,
        actor_id=caller.member_id,
        target_type="account" if account_id else None,
        target_id=account_id,
        details={"credential_id": caller.credential_id, **details},
    )
