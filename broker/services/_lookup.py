"""Fetching rows by id inside one workspace, and the checks every service shares."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from broker.db import Base
from broker.errors import InvalidInput, NotFound
from broker.models import Account, Collection, Member, Team

T = TypeVar("T", Member, Team, Collection, Account)

_NOUNS: dict[type[Base], str] = {
    Member: "member",
    Team: "team",
    Collection: "collection",
    Account: "account",
}


def get(session: Session, model: type[T], workspace_id: str, row_id: str) -> T:
    """The row with this id in this workspace; anything else is `NotFound`, never a hint."""
    row = session.get(model, row_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFound(f"No {_NOUNS[model]} with id {row_id!r} in this workspace.")
    if isinstance(row, Account) and row.deleted_at is not None:
        raise NotFound(f"No account with id {row_id!r} in this workspace.")
    return row


def clean_name(
    value: str, *, field: str = "name", max_length: int = 200, label: str | None = None
) -> str:
    """`label` is how the message names the field ("app name"), when not as `field`."""
    name = " ".join(value.split())
    said = label or field
    if not name:
        raise InvalidInput(f"The {said} must not be empty.", field=field)
    if len(name) > max_length:
        raise InvalidInput(f"The {said} is longer than {max_length} characters.", field=field)
    return name
