"""Extension credentials: a random token bound to the extension's key and to one member.

The credential alone is useless: every call must also carry a proof signed with the key whose
RFC 7638 thumbprint the credential is bound to (RFC 9449 §6, "DPoP access token binding"), so a
credential copied out of the browser cannot be used elsewhere. A credential stops working when it
is revoked, expires, or its member is deactivated (checked on every call, not only at revocation).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Insert, Table, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from broker import audit
from broker.audit import Note as AuditNote
from broker.db import Executor, dialect_name
from broker.ext_api.errors import InvalidProof, InvalidToken
from broker.ext_api.proof import MAX_AGE_S, MAX_SKEW_S, PublicKey, verify_proof
from broker.ext_tables import ExtensionCredential, ProofJti
from broker.models import Member, WorkspaceRole
from broker.rbac import MemberFacts
from broker.tokens import hash_token, new_token

CREDENTIAL_TTL = timedelta(days=30)
MAX_CREDENTIAL_CHARS = 128
# `last_used_at` (shown on the profile page) is written at most this often: not a write per call.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Call:
    """What the proof and credential checks need from an HTTP request."""

    method: str
    url: str  # the `htu` the proof must name: our public URL of this endpoint
    authorization: str | None
    proofs: tuple[str, ...]
    origin: str


@dataclass(frozen=True)
class Caller:
    """An authenticated extension: its credential, the member behind it and the key."""

    credential_id: str
    member_id: str
    workspace_id: str
    jkt: str
    member: MemberFacts  # read with the credential, in the call's transaction


@dataclass(frozen=True)
class Registered:
    credential: str  # shown once, in the registration response
    credential_id: str
    expires_at: datetime


def single_proof(call: Call) -> str:
    # RFC 9449 §4.3 (1): exactly one DPoP header.
    if len(call.proofs) != 1:
        raise InvalidProof("Send exactly one proof in the DPoP header.")
    return call.proofs[0]


_CREDENTIALS = cast(Table, ExtensionCredential.__table__)
_MEMBERS = cast(Table, Member.__table__)
_JTIS = cast(Table, ProofJti.__table__)
# Built once: every call of the extension API runs these.
_LOOKUP = (
    select(
        _CREDENTIALS.c.id,
        _CREDENTIALS.c.token_hash,
        _CREDENTIALS.c.workspace_id,
        _CREDENTIALS.c.member_id,
        _CREDENTIALS.c.jkt,
        _CREDENTIALS.c.public_jwk,
        _CREDENTIALS.c.expires_at,
        _CREDENTIALS.c.last_used_at,
        _CREDENTIALS.c.revoked_at,
        _MEMBERS.c.id.label("member_found"),
        _MEMBERS.c.role,
        _MEMBERS.c.active,
        _MEMBERS.c.external_id,
    )
    # An outer join: a member gone refuses the credential.
    .select_from(_CREDENTIALS.outerjoin(_MEMBERS, _MEMBERS.c.id == _CREDENTIALS.c.member_id))
    .where(_CREDENTIALS.c.token_hash == bindparam("digest"))
)
_TOUCH = (
    update(_CREDENTIALS)
    .where(_CREDENTIALS.c.id == bindparam("credential_id"))
    .values(last_used_at=bindparam("at"))
)


def _remember(dialect: Any) -> Insert:
    stmt: Insert = (
        dialect.insert(_JTIS)
        .on_conflict_do_nothing(index_elements=[_JTIS.c.jkt, _JTIS.c.jti_hash])
        # RETURNING rather than rowcount: psycopg reports -1 for INSERT ... ON CONFLICT.
        .returning(_JTIS.c.jkt)
    )
    return stmt


_REMEMBER = {"postgresql": _remember(postgresql), "sqlite": _remember(sqlite)}


def remember_jti(db: Executor, jkt: str, jti: str, iat: int) -> bool:
    """Record a proof id; False when this key already used it (a replay).

    The row outlives the proof's acceptable age, after which `verify_proof` refuses the proof
    on its `iat` anyway; a unique key in the database makes every replica of the broker agree.
    """
    expires_at = datetime.fromtimestamp(iat + MAX_AGE_S + MAX_SKEW_S + 1, UTC)
    stmt = _REMEMBER[dialect_name(db)]
    params = {"jkt": jkt, "jti_hash": hash_token(jti), "expires_at": expires_at}
    return db.execute(stmt, params).first() is not None


def prune_jtis(db: Executor, now: datetime) -> int:
    """Forget proof ids too old to be replayed; how many went."""
    result = db.execute(
        delete(ProofJti)
        .where(ProofJti.expires_at < now)
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], result).rowcount)


def register(
    db: Session,
    *,
    member: Member,
    session_id: str,
    call: Call,
    jwk: object,
    now: datetime,
) -> Registered:
    """Bind the key in the registration proof to the member; the proof must carry that key."""
    if not member.active:
        raise InvalidToken("This member is deactivated.")
    key = PublicKey.from_jwk(jwk)
    proof = verify_proof(single_proof(call), method=call.method, url=call.url, now=now)
    if not hmac.compare_digest(proof.key.thumbprint, key.thumbprint):
        raise InvalidProof("The proof must be signed by the key being registered.")
    if not remember_jti(db, key.thumbprint, proof.jti, proof.iat):
        raise InvalidProof("This proof has been used already: make a fresh one per request.")
    token = new_token()
    row = ExtensionCredential(
        token_hash=hash_token(token),
        workspace_id=member.workspace_id,
        member_id=member.id,
        jkt=key.thumbprint,
        public_jwk=key.jwk,
        origin=call.origin,
        session_id=session_id,
        created_at=now,
        expires_at=now + CREDENTIAL_TTL,
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        member.workspace_id,
        "credential.registered",
        actor_id=member.id,
        target_type="extension_credential",
        target_id=row.id,
        jkt=key.thumbprint,
        origin=call.origin,
    )
    return Registered(token, row.id, row.expires_at)


def authenticate(db: Executor, call: Call, *, now: datetime) -> Caller:
    """The caller behind a credential and its proof, or `InvalidToken` / `InvalidProof`.

    Writes only the proof's id (and `last_used_at`, at most once a minute), each after every
    check that can refuse the call before it."""
    token = _credential_token(call.authorization)
    digest = hash_token(token)
    row: Any = db.execute(_LOOKUP, {"digest": digest}).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        raise InvalidToken("The credential is not valid: register the extension again.")
    refusal = _refusal(row, now)
    if refusal is not None:
        raise InvalidToken(
            "The credential is no longer valid: sign in and register the extension again.",
            audit=_note(row, "credential.rejected", reason=refusal),
        )
    registered = PublicKey.from_jwk(row.public_jwk)
    try:
        proof = verify_proof(
            single_proof(call),
            method=call.method,
            url=call.url,
            now=now,
            registered=registered,
            credential=token,
        )
    except InvalidProof as exc:
        raise InvalidProof(
            exc.description, audit=_note(row, "proof.rejected", reason=exc.description)
        ) from None
    if not remember_jti(db, row.jkt, proof.jti, proof.iat):
        raise InvalidProof(
            "This proof has been used already: make a fresh one per request.",
            audit=_note(row, "proof.rejected", reason="replayed"),
        )
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        db.execute(_TOUCH, {"credential_id": row.id, "at": now})
    member = MemberFacts(row.member_id, WorkspaceRole(row.role), True, row.external_id)
    return Caller(row.id, row.member_id, row.workspace_id, row.jkt, member)


def revoke(db: Session, credential_id: str, *, now: datetime) -> bool:
    """End one credential (the extension signs out); False when it was not live."""
    result = db.execute(
        update(ExtensionCredential)
        .where(ExtensionCredential.id == credential_id, ExtensionCredential.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def _credential_token(authorization: str | None) -> str:
    # RFC 9449 §7.1: `Authorization: DPoP <token>`; the scheme is case-insensitive (RFC 9110 §11.1).
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "dpop" or not token or len(token) > MAX_CREDENTIAL_CHARS:
        raise InvalidToken("Send the credential as `Authorization: DPoP <credential>`.")
    return token


def _refusal(row: Any, now: datetime) -> str | None:
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at <= now:
        return "expired"
    if row.member_found is None or not row.active:
        return "member_deactivated"
    return None


def _note(row: Any, action: str, **details: Any) -> AuditNote:
    return AuditNote(
        workspace_id=row.workspace_id,
        action=action,
        actor_id=row.member_id,
        target_type="extension_credential",
        target_id=row.id,
        details=details,
    )
