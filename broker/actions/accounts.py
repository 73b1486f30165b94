"""Accounts: the list a member sees, adding one, changing its login or secrets, renaming, deleting.

Seeing an account needs a share that reaches it (`rbac.view_allowed`); changing it needs Owner on
it (`rbac.can_manage_account`). An account the member cannot see is "not found"; one they see but
may not change is a `PermissionDenied`. Secrets go in and never come out: the only value derived
from one that an action returns is the current verification code, once, right after the owner
entered the secret, so that they can check it against the site.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from broker import rbac, totp
from broker.actions._actor import actor
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from broker.models import Account, ItemRole, Member, OktaExtension, SyncState
from broker.services import accounts, shares
from broker.services.accounts import AccountInput, InvalidAccount

# What adapters pass in and catch, named here so that they need no service module.
__all__ = [
    "AccountChange",
    "AccountDetail",
    "AccountInput",
    "AccountList",
    "AccountRow",
    "Added",
    "InvalidAccount",
    "create",
    "delete",
    "detail",
    "listing",
    "login_origin",
    "update",
]
from broker.services.shares import Subject, Target

PER_PAGE = 50
MAX_QUERY = 200
CREATE_REFUSAL = "Login-only members and guests cannot add accounts."
MANAGE_REFUSAL = "Only an Owner of this account can change it."


def login_origin(url: str) -> str:
    """`scheme://host[:port]`: the origin the extension fills on."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class AccountRow:
    id: str
    name: str
    app_name: str
    login_origin: str
    role: ItemRole
    sync_state: SyncState | None  # None: not extended to Okta

    @property
    def extended(self) -> bool:
        return self.sync_state is not None


@dataclass(frozen=True)
class AccountList:
    rows: list[AccountRow]
    total: int
    page: int
    per_page: int
    query: str
    can_add: bool

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def listing(
    ctx: BrokerContext,
    member_id: str,
    *,
    query: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
    extended_only: bool = False,
) -> AccountList:
    """One page of the accounts the member can see, searched and ordered by name in SQL."""
    query = " ".join(query.split())[:MAX_QUERY]
    page = max(1, page)
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        # Computed once per statement: PostgreSQL would otherwise inline the recursive grant
        # query into a nested loop and run it again for every account a search matches.
        visible = (
            rbac.visible_accounts(rbac.MemberFacts.of(member), member.workspace_id)
            .cte("visible")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        where = []
        if query:
            pattern = f"%{_escape_like(query.lower())}%"
            where.append(
                or_(
                    *(
                        func.lower(column).like(pattern, escape="\\")
                        for column in (Account.name, Account.app_name, Account.login_url)
                    )
                )
            )
        if extended_only:
            where.append(OktaExtension.account_id.is_not(None))

        def one_page(number: int) -> list[Any]:
            # The total rides along as a window count: one statement per page, not two.
            return list(
                db.execute(
                    select(
                        Account.id,
                        Account.name,
                        Account.app_name,
                        Account.login_url,
                        visible.c.strength,
                        OktaExtension.sync_state,
                        func.count().over().label("total"),
                    )
                    .join(visible, visible.c.account_id == Account.id)
                    .outerjoin(OktaExtension, OktaExtension.account_id == Account.id)
                    .where(*where)
                    .order_by(func.lower(Account.name), Account.id)
                    .limit(per_page)
                    .offset((number - 1) * per_page)
                )
            )

        found = one_page(page)
        if not found and page > 1:  # past the end: the last page (a second statement)
            total = db.scalar(
                select(func.count())
                .select_from(Account)
                .join(visible, visible.c.account_id == Account.id)
                .outerjoin(OktaExtension, OktaExtension.account_id == Account.id)
                .where(*where)
            )
            page = max(1, math.ceil((total or 0) / per_page))
            found = one_page(page)
        total = found[0].total if found else 0
        rows = [
            AccountRow(
                id=account_id,
                name=name,
                app_name=app_name,
                login_origin=login_origin(url),
                role=rbac.role_of_strength(strength),
                sync_state=SyncState(state) if state is not None else None,
            )
            for account_id, name, app_name, url, strength, state, _total in found
        ]
        return AccountList(rows, total, page, per_page, query, rbac.can_create_items(member))


@dataclass(frozen=True)
class Added:
    id: str
    name: str
    code: totp.TotpCode | None  # the current verification code, shown once; None: no secret


def _current_code(secret: str | None) -> totp.TotpCode | None:
    if not secret or not secret.strip():
        return None
    return totp.current_code(accounts.canonical_totp(secret))


def create(ctx: BrokerContext, member_id: str, data: AccountInput) -> Added:
    """Add an account; its creator becomes its Owner (a direct share, audited like any other)."""
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        if not rbac.can_create_items(member):
            raise PermissionDenied(CREATE_REFUSAL)
        _refuse_a_second_copy(db, member, data)
        account = accounts.create_account(
            db, member.workspace_id, data, vault=ctx.vault, actor_id=member.id
        )
        shares.share(
            db,
            member.workspace_id,
            Subject(member_id=member.id),
            Target(account_id=account.id),
            ItemRole.OWNER,
            actor_id=member.id,
        )
        return Added(account.id, account.name, _current_code(data.totp_secret))


def _refuse_a_second_copy(db: Session, member: Member, data: AccountInput) -> None:
    """The same login twice is a form sent twice (a reload, Back, a double click), not intent.

    Matched as an import re-run matches (`accounts.login_key`), among the accounts the member
    owns; someone else's account of the same name is none of their business.
    """
    key = accounts.login_key(data.name.strip(), data.login_url.strip(), data.username.strip())
    visible = rbac.visible_accounts(rbac.MemberFacts.of(member), member.workspace_id).subquery()
    candidates = db.scalars(
        select(Account)
        .join(visible, visible.c.account_id == Account.id)
        .where(
            visible.c.strength >= 2,
            func.lower(Account.name) == data.name.strip().lower(),
            Account.username == data.username.strip(),
        )
    )
    for account in candidates:
        if accounts.login_key(account.name, account.login_url, account.username) == key:
            raise Conflict(
                f"You already have the account {account.name!r} for this username and site.",
                field="name",
            )


@dataclass(frozen=True)
class AccountDetail:
    """What the edit and delete pages show: never a secret, only whether a code is set."""

    id: str
    name: str
    app_name: str
    login_url: str
    username: str
    has_code: bool
    role: ItemRole
    can_manage: bool
    sync_state: SyncState | None


def _visible(db: Session, member: Member, account_id: str) -> Account:
    """The account if the member can see it; NotFound otherwise (it may as well not exist)."""
    role = rbac.account_role(db, member, account_id)
    if not rbac.view_allowed(rbac.MemberFacts.of(member), role):
        raise NotFound("No such account.")
    return db.get_one(Account, account_id)


def _managed(db: Session, member: Member, account_id: str) -> Account:
    account = _visible(db, member, account_id)
    if not rbac.can_manage_account(db, member, account_id):
        raise PermissionDenied(MANAGE_REFUSAL)
    return account


def detail(ctx: BrokerContext, member_id: str, account_id: str) -> AccountDetail:
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        account = _visible(db, member, account_id)
        role = rbac.account_role(db, member, account_id) or ItemRole.COLLABORATOR
        extension = db.get(OktaExtension, account_id)
        return AccountDetail(
            id=account.id,
            name=account.name,
            app_name=account.app_name,
            login_url=account.login_url,
            username=account.username,
            has_code=account.totp_secret_id is not None,
            role=role,
            can_manage=rbac.can_manage_account(db, member, account_id),
            sync_state=extension.sync_state if extension is not None else None,
        )


@dataclass(frozen=True)
class AccountChange:
    """What the edit form or an API PATCH sends; None leaves a field as it is. A secret given
    replaces the stored one; `remove_code` drops the verification code."""

    name: str | None = None
    app_name: str | None = None
    login_url: str | None = None
    username: str | None = None
    password: str | None = None
    totp_secret: str | None = None
    remove_code: bool = False


def update(
    ctx: BrokerContext, member_id: str, account_id: str, change: AccountChange
) -> totp.TotpCode | None:
    """Apply every part of the change in one transaction (a bad field writes nothing). Returns
    the current code when a new verification secret was entered, to show once."""
    problems: dict[str, str] = {}
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        account = _managed(db, member, account_id)
        ws = member.workspace_id

        def attempt(field: str, step: Callable[[], object]) -> None:
            # Each step validates before it writes; all are tried so that every bad field is
            # named, and any problem rolls the whole transaction back below.
            try:
                step()
            except InvalidInput as exc:
                problems.setdefault(exc.field or field, exc.message)

        renamed = (change.name is not None and change.name != account.name) or (
            change.app_name is not None and change.app_name != account.app_name
        )
        if renamed:
            attempt(
                "name",
                lambda: accounts.rename_account(
                    db,
                    ws,
                    account_id,
                    name=change.name,
                    app_name=change.app_name,
                    actor_id=member.id,
                ),
            )
        login_changed = (
            change.login_url is not None and change.login_url != account.login_url
        ) or (change.username is not None and change.username != account.username)
        if login_changed:
            attempt(
                "login_url",
                lambda: accounts.update_login(
                    db,
                    ws,
                    account_id,
                    login_url=change.login_url,
                    username=change.username,
                    actor_id=member.id,
                ),
            )
        new_code = change.totp_secret if change.totp_secret and change.totp_secret.strip() else None
        password = change.password if change.password else None
        code_value = new_code if new_code is not None else ("" if change.remove_code else None)
        if password is not None or code_value is not None:
            attempt(
                "password",
                lambda: accounts.set_secret(
                    db,
                    ws,
                    account_id,
                    vault=ctx.vault,
                    password=password,
                    totp_secret=code_value,
                    actor_id=member.id,
                ),
            )
        if problems:
            raise accounts.InvalidAccount(problems)
        return _current_code(new_code)


def delete(ctx: BrokerContext, member_id: str, account_id: str) -> str:
    """Delete the account (secrets and shares at once; its Okta app through sync). Its name."""
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        account = _managed(db, member, account_id)
        name = account.name
        accounts.delete_account(db, member.workspace_id, account_id, actor_id=member.id)
        return name
