"""Releasing a login to the extension: a grant for the credentials, a fill ticket for codes.

RBAC is asked again here, at redemption and at every code request (DESIGN.md, step 6): the launch
page's check only decided whether to hand out a grant, this one decides whether anything leaves
the vault. Every release is an audit event that names what was released, never the secret.
"""

from __future__ import annotations

import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker import audit, rbac, totp
from broker.ext_api.credentials import Caller
from broker.ext_api.errors import AccessDenied, ApiError, AuditNote, InvalidGrant, InvalidTicket
from broker.ext_tables import FillTicket, aware, hash_token, new_token
from broker.grants import GrantError, redeem_grant
from broker.models import Account, Member, SealedSecret
from broker.session_models import BrokerSession
from broker.vault import Vault

FILL_TICKET_TTL = timedelta(minutes=5)  # long enough for a username → password → code login
MAX_TICKET_CHARS = 128

# What the extension may show; "no such account" and "no access" read alike on purpose.
_DENIALS = {
    rbac.Denial.UNKNOWN_ACCOUNT: ("no_access", "You do not have access to this account."),
    rbac.Denial.NO_ACCESS: ("no_access", "You do not have access to this account."),
    rbac.Denial.LOGIN_ONLY: (
        "login_only",
        "Login-only members cannot receive credentials through the extension.",
    ),
    rbac.Denial.DEACTIVATED: ("deactivated", "Your membership is deactivated."),
}


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


def redeem(db: Session, vault: Vault, caller: Caller, grant: str, *, now: datetime) -> Release:
    try:
        spent = redeem_grant(
            db, grant, member_id=caller.member_id, redeemed_by_id=caller.credential_id, now=now
        )
    except GrantError as exc:
        raise InvalidGrant(
            f"{exc.message} Launch the account again from Okta.",
            audit=_note(
                caller,
                "grant.rejected",
                exc.account_id,
                reason=exc.reason,
                grant_id=exc.grant_id,
            ),
        ) from None
    if not _session_live(db, spent.session_id, caller.member_id, now):
        raise InvalidGrant(
            "The sign-in the grant was made in has ended. Launch the account again from Okta.",
            audit=_note(
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
        raise ApiError("This account has no password to fill.")
    ticket = new_token()
    row = FillTicket(
        token_hash=hash_token(ticket),
        workspace_id=caller.workspace_id,
        credential_id=caller.credential_id,
        member_id=caller.member_id,
        account_id=account.id,
        grant_id=spent.id,
        created_at=now,
        expires_at=now + FILL_TICKET_TTL,
    )
    db.add(row)
    db.flush()
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
        ticket_id=row.id,
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


def current_code(
    db: Session, vault: Vault, caller: Caller, ticket: str, *, now: datetime
) -> CodeRelease:
    row = _ticket(db, caller, ticket, now)
    account = _allowed_account(db, caller, row.account_id, stage="code")
    uri = _open(db, vault, account.totp_secret_id, "account.totp")
    if uri is None:
        raise ApiError("This account has no verification-code step.")
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


def _ticket(db: Session, caller: Caller, ticket: str, now: datetime) -> FillTicket:
    digest = hash_token(ticket) if 0 < len(ticket) <= MAX_TICKET_CHARS else ""
    row = db.scalar(select(FillTicket).where(FillTicket.token_hash == digest)) if digest else None
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        raise InvalidTicket(
            "The fill ticket is not valid.",
            audit=_note(caller, "ticket.rejected", None, reason="unknown"),
        )
    reason = None
    if row.credential_id != caller.credential_id:
        reason = "foreign"
    elif aware(row.expires_at) <= now:
        reason = "expired"
    if reason is not None:
        raise InvalidTicket(
            "The fill ticket is not valid for this extension any more. Launch again from Okta.",
            audit=_note(caller, "ticket.rejected", row.account_id, reason=reason, ticket_id=row.id),
        )
    return row


def _allowed_account(db: Session, caller: Caller, account_id: str, *, stage: str) -> Account:
    member = db.get(Member, caller.member_id)
    if member is None:
        raise AccessDenied("You do not have access to this account.", reason="no_access")
    decision = rbac.decide_launch(db, rbac.MemberFacts.of(member), caller.workspace_id, account_id)
    account = db.get(Account, account_id)
    if not decision.allowed or account is None:
        denial = decision.denial or rbac.Denial.UNKNOWN_ACCOUNT
        reason, text = _DENIALS[denial]
        raise AccessDenied(
            text,
            reason=reason,
            audit=_note(caller, "launch.blocked", account_id, reason=denial.value, stage=stage),
        )
    return account


def _session_live(db: Session, session_id: str, member_id: str, now: datetime) -> bool:
    """The grant is bound to the broker session it was made in: that session must still be on."""
    row = db.get(BrokerSession, session_id)
    return (
        row is not None
        and row.member_id == member_id
        and row.revoked_at is None
        and aware(row.expires_at) > now
    )


def _open(db: Session, vault: Vault, secret_id: str | None, purpose: str) -> str | None:
    secret = db.get(SealedSecret, secret_id) if secret_id else None
    return None if secret is None else vault.open_text(secret, purpose=purpose)


def _note(caller: Caller, action: str, account_id: str | None, **details: Any) -> AuditNote:
    return AuditNote(
        workspace_id=caller.workspace_id,
        action=action,
        actor_id=caller.member_id,
        target_type="account" if account_id else None,
        target_id=account_id,
        details={"credential_id": caller.credential_id, **details},
    )
