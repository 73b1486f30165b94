"""Finding and listing SCIM resources (members as Users, teams as Groups) in one workspace."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from broker.errors import NotFound
from broker.models import Member, Team
from broker.scim.query import Equals, Page

R = TypeVar("R", Member, Team)


def find(session: Session, model: type[R], workspace_id: str, scim_id: str, noun: str) -> R:
    row = session.scalar(
        select(model).where(model.workspace_id == workspace_id, model.scim_id == scim_id)
    )
    if row is None:
        raise NotFound(f"No {noun} with id {scim_id!r}.")
    return row


def search(
    session: Session,
    model: type[R],
    workspace_id: str,
    where: Equals | None,
    page: Page,
    *,
    name: tuple[str, InstrumentedAttribute[str]],
) -> tuple[list[R], int]:
    """One page of the workspace's resources; `name` is the (attribute, column) filtered without
    case (RFC 7643 §4.1.1 userName, §4.2 displayName: caseExact false)."""
    query = select(model).where(model.workspace_id == workspace_id)
    if where is not None:
        attribute, column = name
        if where.attribute == attribute:
            query = query.where(func.lower(column) == where.value.lower())
        elif where.attribute == "externalId":
            query = query.where(model.external_id == where.value)
        else:
            query = query.where(model.scim_id == where.value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(model.created_at, model.id).offset(page.offset).limit(page.count)
    )
    return list(rows), total
