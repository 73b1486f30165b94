"""SCIM Users (RFC 7643 §4.1) as workspace members, the way Okta provisions them.

    userName      the member's email (Okta's username is an email address)
    externalId    the Okta user id (`Member.external_id`): what sync assigns to apps
    id            `Member.scim_id`, the id Okta keeps and sends back
    name / displayName    `Member.name`
    active        `Member.active`; false deactivates (`broker.actions.members`)

Okta's placeholder `password` on create is ignored: members sign in through Okta, never here.
New members get the workspace role User. Users are never deleted over SCIM (Okta deactivates).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from scim2_models import Context, Email, Meta, Name, PatchOp, User
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.actions import members as member_actions
from broker.models import Member, WorkspaceRole
from broker.scim import lookup
from broker.scim.errors import InvalidValue, Uniqueness
from broker.scim.query import Equals, Page
from broker.services import members

FILTERABLE = ("userName", "externalId", "id")
_IGNORED = frozenset({"emails", "password", "groups"})
# The same rule as `broker.services.members` applies on create; updates need it too.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class UserInput:
    email: str
    name: str
    external_id: str | None
    active: bool | None  # None: not given (a PUT without `active` leaves it as it is)


def _full_name(name: Name | None) -> str:
    if name is None:
        return ""
    if name.formatted and name.formatted.strip():
        return name.formatted
    return " ".join(p.strip() for p in (name.given_name, name.family_name) if p and p.strip())


def _display_name(user: User[Any]) -> str:
    if user.display_name and user.display_name.strip():
        return user.display_name
    return _full_name(user.name)


def read_input(user: User[Any], *, name: str | None = None) -> UserInput:
    email = (user.user_name or "").strip()
    if not _EMAIL.match(email) or len(email) > 320:
        raise InvalidValue("userName must be the user's email address.")
    external_id = (user.external_id or "").strip() or None
    if external_id is not None and len(external_id) > 64:
        raise InvalidValue("externalId is longer than 64 characters.")
    return UserInput(email, _display_name(user) if name is None else name, external_id, user.active)


def parse(data: dict[str, Any], context: Context) -> User[Any]:
    """RFC 7644 §3.3 (create) and §3.5.1 (replace): validated with scim2-models.

    `emails` is dropped first: we keep userName as the email, and scim2-models checks emails
    with a strictness (no `.local`, no `.test`) that would refuse real Okta users over an
    attribute we do not store. `password` and `groups` are ignored the same way.
    """
    kept = {k: v for k, v in data.items() if k.casefold() not in _IGNORED}
    user: User[Any] = User.model_validate(kept, scim_ctx=context)
    return user


def resource(member: Member, base_url: str) -> dict[str, Any]:
    user = to_model(member)
    user.meta = Meta(
        resource_type="User",
        created=member.created_at,
        last_modified=member.deactivated_at or member.created_at,
        location=f"{base_url}/Users/{member.scim_id}",
    )
    dumped: dict[str, Any] = user.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    return dumped


def to_model(member: Member) -> User[Any]:
    return User(
        id=member.scim_id,
        external_id=member.external_id,
        user_name=member.email,
        display_name=member.name or None,
        name=Name(formatted=member.name) if member.name else None,
        emails=[Email(value=member.email, primary=True, type=Email.Type.work)],
        active=member.active,
    )


def find(session: Session, workspace_id: str, scim_id: str) -> Member:
    return lookup.find(session, Member, workspace_id, scim_id, "user")


def search(
    session: Session, workspace_id: str, where: Equals | None, page: Page
) -> tuple[list[Member], int]:
    return lookup.search(
        session, Member, workspace_id, where, page, name=("userName", Member.email)
    )


def _check_email_free(session: Session, workspace_id: str, email: str, own: str | None) -> None:
    holder = session.scalar(
        select(Member.id).where(
            Member.workspace_id == workspace_id, func.lower(Member.email) == email.lower()
        )
    )
    if holder is not None and holder != own:
        raise Uniqueness(f"A user with userName {email!r} already exists.")


def create(session: Session, workspace_id: str, data: UserInput) -> Member:
    _check_email_free(session, workspace_id, data.email, None)
    return members.add_member(
        session,
        workspace_id,
        data.email,
        name=data.name,
        role=WorkspaceRole.USER,
        external_id=data.external_id,
        active=True if data.active is None else data.active,
    )


def replace(session: Session, member: Member, data: UserInput) -> Member:
    """RFC 7644 §3.5.1, for the attributes we keep; `active` last, so a leaver's last profile
    change still lands."""
    _check_email_free(session, member.workspace_id, data.email, member.id)
    _update_profile(session, member, data.email, data.name)
    if data.external_id != member.external_id:
        members.set_external_id(session, member.workspace_id, member.id, data.external_id)
    if data.active is False:
        member_actions.deactivate_in(session, member, reason="user deactivated by SCIM")
    elif data.active is True and not member.active:
        member_actions.reactivate_in(session, member)
    return member


def patch(session: Session, member: Member, operations: PatchOp[User[Any]]) -> Member:
    """RFC 7644 §3.5.2: apply the operations to the resource as it is, then store the result."""
    before = to_model(member)
    after = to_model(member)
    operations.patch(after)
    if after.display_name != before.display_name:
        name = after.display_name or _full_name(after.name)
    elif after.name != before.name:
        name = _full_name(after.name)
    else:
        name = member.name
    return replace(session, member, read_input(after, name=name))


def _update_profile(session: Session, member: Member, email: str, name: str) -> None:
    members.update_profile(
        session, member.workspace_id, member.id, email=email, name=" ".join(name.split())[:200]
    )
