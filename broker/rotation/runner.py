"""The rotation runner: take a due job, have the site change the password, store it in the vault.

Order of one attempt, so that a crash anywhere never loses the site's current password:

1. *claim* (one transaction): lease the job, generate a new password and seal it as a
   candidate of the job. It is in the database before the site ever sees it.
2. *call the site* (no transaction open): try the vault's password as the current one, then
   every earlier candidate, newest first. An earlier candidate is current exactly when an
   earlier attempt reached the site but died before step 3; the site refuses the others
   (`InvalidCredentials`) without changing anything.
3. *finish* (one transaction): on success, `broker.services.accounts.set_secret` stores the new
   password, the candidates are wiped and the job is done, together. A temporary error puts the
   job back with backoff, keeping the candidates (the site may have taken one); a permanent one,
   or too many attempts, fails the job for an admin to see.

A runner that dies between 1 and 3 holds a lease that expires, and the next run simply goes on.
On PostgreSQL several runners claim with `FOR UPDATE SKIP LOCKED`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import anyio.to_thread
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, sessionmaker

from broker import audit
from broker.db import transaction
from broker.errors import NotFound
from broker.models import Account, SealedSecret, utcnow
from broker.rotation.drivers import Drivers, RotationDriver
from broker.rotation.errors import (
    InvalidCode,
    InvalidCredentials,
    NothingToRotate,
    PermanentRotationError,
    RotationError,
    TemporaryRotationError,
)
from broker.rotation.models import PasswordRotation, RotationCandidate, RotationStatus
from broker.rotation.passwords import new_password
from broker.services import accounts
from broker.totp import current_code
from broker.vault import Vault, VaultError

log = logging.getLogger(__name__)

CANDIDATE_PURPOSE = "rotation.candidate"
PASSWORD_PURPOSE = "account.password"  # noqa: S105 (a vault purpose, not a password)
TOTP_PURPOSE = "account.totp"


@dataclass(frozen=True)
class Policy:
    max_attempts: int = 8
    lease: timedelta = timedelta(minutes=5)
    backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(hours=1)

    def delay(self, attempts: int) -> timedelta:
        delay: timedelta = self.backoff * (2 ** max(0, attempts - 1))
        return min(self.max_backoff, delay)


@dataclass(frozen=True)
class _Claim:
    job_id: str
    workspace_id: str
    account_id: str
    login_url: str
    username: str
    driver: RotationDriver
    currents: tuple[str, ...] = field(repr=False)
    new: str = field(repr=False)
    totp_uri: str | None = field(repr=False)


@dataclass(frozen=True)
class RunSummary:
    rotated: int = 0
    retrying: int = 0
    failed: int = 0

    def __add__(self, other: RunSummary) -> RunSummary:
        return RunSummary(
            self.rotated + other.rotated,
            self.retrying + other.retrying,
            self.failed + other.failed,
        )


class RotationRunner:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        vault: Vault,
        drivers: Drivers,
        *,
        policy: Policy | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._vault = vault
        self._drivers = drivers
        self._policy = policy or Policy()
        self._clock = clock

    async def run_once(self, limit: int = 100) -> RunSummary:
        """Work through the jobs due now (at most `limit`), one at a time."""
        summary = RunSummary()
        for _ in range(limit):
            claimed = await anyio.to_thread.run_sync(self._claim_next)
            if claimed is None:
                break
            if isinstance(claimed, RunSummary):
                summary += claimed
                continue
            error = await self._call_site(claimed)
            summary += await anyio.to_thread.run_sync(self._finish, claimed, error)
        return summary

    # 1. claim

    def _claim_next(self) -> _Claim | RunSummary | None:
        now = self._clock()
        with transaction(self._sessions) as session:
            query = (
                select(PasswordRotation)
                .where(
                    PasswordRotation.status == RotationStatus.PENDING,
                    PasswordRotation.due_at <= now,
                    or_(
                        PasswordRotation.claimed_until.is_(None),
                        PasswordRotation.claimed_until <= now,
                    ),
                )
                .order_by(PasswordRotation.due_at, PasswordRotation.id)
                .limit(1)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            job = session.scalar(query)
            if job is None:
                return None
            job.attempts += 1
            job.claimed_until = now + self._policy.lease
            try:
                return self._prepare(session, job)
            except PermanentRotationError as exc:
                self._fail(session, job, exc)
                return RunSummary(failed=1)

    def _prepare(self, session: Session, job: PasswordRotation) -> _Claim:
        account = session.get(Account, job.account_id)
        if account is None or account.deleted_at is not None:
            raise NothingToRotate("The account no longer exists.")
        if account.password_secret_id is None:
            raise NothingToRotate("The account has no password.")
        driver = self._drivers.for_url(account.login_url)
        current = self._open(session, account.password_secret_id, PASSWORD_PURPOSE)
        earlier = [
            self._open(session, secret_id, CANDIDATE_PURPOSE)
            for secret_id in session.scalars(
                select(RotationCandidate.secret_id)
                .where(RotationCandidate.rotation_id == job.id)
                .order_by(RotationCandidate.created_at.desc(), RotationCandidate.id)
            )
        ]
        totp = (
            self._open(session, account.totp_secret_id, TOTP_PURPOSE)
            if account.totp_secret_id
            else None
        )
        new = new_password()
        sealed = self._vault.seal(session, new, CANDIDATE_PURPOSE)
        session.flush()
        session.add(RotationCandidate(rotation_id=job.id, secret_id=sealed.id))
        currents = tuple(dict.fromkeys([current, *earlier]))
        return _Claim(
            job.id,
            job.workspace_id,
            account.id,
            account.login_url,
            account.username,
            driver,
            currents,
            new,
            totp,
        )

    def _open(self, session: Session, secret_id: str, purpose: str) -> str:
        secret = session.get(SealedSecret, secret_id)
        if secret is None:
            raise NothingToRotate("A secret of the account is missing.")
        try:
            return self._vault.open_text(secret, purpose=purpose)
        except VaultError as exc:
            raise PermanentRotationError(str(exc), code="vault_error") from None

    # 2. call the site

    async def _call_site(self, claim: _Claim) -> RotationError | None:
        refused: RotationError | None = None
        for current in claim.currents:
            code = current_code(claim.totp_uri).code if claim.totp_uri else None
            try:
                await claim.driver.rotate(claim.login_url, claim.username, current, code, claim.new)
            except InvalidCredentials as exc:
                refused = exc  # not this one: the site changed nothing, try the next candidate
                continue
            except InvalidCode as exc:
                # A code at the edge of its time step: the next attempt computes a fresh one.
                return TemporaryRotationError(exc.message, code=exc.code)
            except RotationError as exc:
                return exc
            return None
        return refused or InvalidCredentials("The site refused every known password.")

    # 3. finish

    def _finish(self, claim: _Claim, error: RotationError | None) -> RunSummary:
        with transaction(self._sessions) as session:
            job = session.get(PasswordRotation, claim.job_id, with_for_update=True)
            if job is None or job.status is not RotationStatus.PENDING:
                return RunSummary()
            if error is None:
                return self._succeed(session, job, claim)
            if isinstance(error, PermanentRotationError) or (
                job.attempts >= self._policy.max_attempts
            ):
                self._fail(session, job, error)
                return RunSummary(failed=1)
            job.claimed_until = None
            job.due_at = self._clock() + self._policy.delay(job.attempts)
            job.last_error = f"{error.code}: {error.message}"[:2000]
            log.warning(
                "password rotation of account %s will be retried: %s",
                job.account_id,
                error.code,
            )
            return RunSummary(retrying=1)

    def _succeed(self, session: Session, job: PasswordRotation, claim: _Claim) -> RunSummary:
        # An account deleted meanwhile has its secrets wiped anyway: nothing left to store.
        with contextlib.suppress(NotFound):
            accounts.set_secret(
                session, job.workspace_id, job.account_id, vault=self._vault, password=claim.new
            )
        self._wipe_candidates(session, job.id)
        job.status = RotationStatus.DONE
        job.finished_at = self._clock()
        job.claimed_until = None
        job.last_error = None
        audit.record(
            session,
            job.workspace_id,
            "password.rotated",
            target_type="account",
            target_id=job.account_id,
            attempts=job.attempts,
            reason=job.reason,
        )
        return RunSummary(rotated=1)

    def _fail(self, session: Session, job: PasswordRotation, error: RotationError) -> None:
        job.status = RotationStatus.FAILED
        job.finished_at = self._clock()
        job.claimed_until = None
        job.last_error = f"{error.code}: {error.message}"[:2000]
        if isinstance(error, InvalidCredentials | NothingToRotate):
            # The site took none of them (it refused each as current), or there is no account.
            self._wipe_candidates(session, job.id)
        audit.record(
            session,
            job.workspace_id,
            "password.rotation_failed",
            target_type="account",
            target_id=job.account_id,
            attempts=job.attempts,
            error=error.code,
        )

    def _wipe_candidates(self, session: Session, job_id: str) -> None:
        ids = list(
            session.scalars(
                select(RotationCandidate.secret_id).where(RotationCandidate.rotation_id == job_id)
            )
        )
        session.execute(delete(RotationCandidate).where(RotationCandidate.rotation_id == job_id))
        if ids:
            session.execute(delete(SealedSecret).where(SealedSecret.id.in_(ids)))
