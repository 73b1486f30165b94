"""The rotation queue's tables: jobs, and the passwords a job may have set on the site.

No secret sits in these rows. A job's candidate passwords are `SealedSecret` rows of the vault,
written *before* the site is asked to take them: if the broker dies after the site changed the
password but before the job was marked done, the retry still holds the password the site now has
and tries it as the current one (see `broker.rotation.runner`).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from broker.db import Base, UtcDateTime, new_id
from broker.models import utcnow

_TS = UtcDateTime()  # aware UTC in Python on both engines (`broker.db`)


class RotationStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # given up: an admin must change the password by hand


class PasswordRotation(Base):
    """One account's password must change (its user was deactivated, or someone asked)."""

    __tablename__ = "password_rotations"
    __table_args__ = (Index("ix_password_rotations_status_due", "status", "due_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[RotationStatus] = mapped_column(
        Enum(
            RotationStatus,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=RotationStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    # A runner that claimed the job holds it until then; a runner that died loses it at expiry.
    claimed_until: Mapped[datetime | None] = mapped_column(_TS, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(_TS, default=None)


class RotationCandidate(Base):
    """A new password generated for a job and possibly sent to the site: maybe its current one."""

    __tablename__ = "password_rotation_candidates"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    rotation_id: Mapped[str] = mapped_column(
        ForeignKey("password_rotations.id", ondelete="CASCADE"), index=True
    )
    secret_id: Mapped[str] = mapped_column(ForeignKey("sealed_secrets.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
