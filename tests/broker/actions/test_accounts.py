"""Accounts as a member manages them: the list they see, add, edit, replace secrets, delete."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import delete, select

from broker import totp
from broker.actions import accounts
from broker.actions.accounts import AccountChange
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from broker.models import (
    Account,
    AuditEvent,
    ItemRole,
    OktaExtension,
    SealedSecret,
    Share,
    SyncOutbox,
    WorkspaceRole,
)
from broker.services.accounts import AccountInput, InvalidAccount
from tests.broker.actions.conftest import Builder

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _input(**overrides: str) -> AccountInput:
    fields = {
        "name": "Payroll",
        "app_name": "Gusto",
        "login_url": "https://app.gusto.example/login",
        "username": "ops@acme.example",
        "password": "s3cret-pw",
        "totp_secret": "",
    }
    fields.update(overrides)
    return AccountInput(**fields)


def test_the_creator_owns_the_new_account_and_sees_the_code_once(
    ctx: BrokerContext, build: Builder
) -> None:
    with build() as w:
        me = w.member()
    added = accounts.create(ctx, me.id, _input(totp_secret=SECRET))
    assert added.code is not None
    assert added.code.code == totp.current_code(totp.TotpKey.parse(SECRET), time.time()).code
    listed = accounts.listing(ctx, me.id)
    assert [(r.name, r.role, r.login_origin) for r in listed.rows] == [
        ("Payroll", ItemRole.OWNER, "https://app.gusto.example")
    ]
    detail = accounts.detail(ctx, me.id, added.id)
    assert (detail.has_code, detail.can_manage) == (True, True)
    assert not hasattr(detail, "password")
    with ctx.sessions() as s:
        stored = s.scalars(select(SealedSecret.ciphertext)).all()
        assert all(b"s3cret-pw" not in c and SECRET.encode() not in c for c in stored)


def test_the_same_form_sent_twice_adds_one_account(ctx: BrokerContext, build: Builder) -> None:
    with build() as w:
        me, other = w.member(), w.member()
    accounts.create(ctx, me.id, _input())

    # A reload of the page that answered the post, or a double click, sends it again.
    with pytest.raises(Conflict, match="already have the account 'Payroll'"):
        accounts.create(ctx, me.id, _input(name="payroll ", login_url="https://APP.gusto.example/"))
    # A different username or site is another login; someone else may have their own copy.
    accounts.create(ctx, me.id, _input(username="admin@acme.example"))
    accounts.create(ctx, me.id, _input(login_url="https://eu.gusto.example/login"))
    accounts.create(ctx, other.id, _input())
    assert len(accounts.listing(ctx, me.id).rows) == 3


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "   ", "The name must not be empty."),
        ("name", "x" * 201, "The name is longer than 200 characters."),
        ("app_name", "", "The app name must not be empty."),
        ("login_url", "http://gusto.example/login", "must use https"),
        ("login_url", "https://bob:pw@gusto.example/", "must not carry a username"),
        ("login_url", "gusto.example/login", "must be a full URL"),
        ("login_url", "https://gusto.example:port/", "not a valid URL"),
        ("login_url", "javascript:alert(1)", "must be a full URL"),
        ("username", "", "The username must not be empty."),
        ("password", "", "The password must not be empty."),
        ("totp_secret", "otpauth://hotp/x?secret=" + SECRET + "&counter=1", "TOTP"),
        ("totp_secret", "not base32!", "not valid"),
        ("totp_secret", "otpauth://totp/x?secret=ABC", "not valid"),
    ],
)
def test_bad_input_names_its_field_and_writes_nothing(
    ctx: BrokerContext, build: Builder, field: str, value: str, message: str
) -> None:
    with build() as w:
        me = w.member()
    with pytest.raises(InvalidAccount) as refused:
        accounts.create(ctx, me.id, _input(**{field: value}))
    assert field in refused.value.problems
    assert message.lower() in refused.value.problems[field].lower()
    with ctx.sessions() as s:
        assert s.scalars(select(Account)).all() == []
        assert s.scalars(select(SealedSecret)).all() == []
        assert s.scalars(select(AuditEvent).where(AuditEvent.action != "member.added")).all() == []


def test_every_bad_field_is_named_at_once(ctx: BrokerContext, build: Builder) -> None:
    with build() as w:
        me = w.member()
    with pytest.raises(InvalidAccount) as refused:
        accounts.create(ctx, me.id, _input(name="", login_url="ftp://x", password=""))
    assert set(refused.value.problems) == {"name", "login_url", "password"}


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8420/login", "http://localhost/x", "http://[::1]/"]
)
def test_plain_http_is_allowed_on_loopback_only(
    ctx: BrokerContext, build: Builder, url: str
) -> None:
    with build() as w:
        me = w.member()
    assert accounts.create(ctx, me.id, _input(login_url=url)).code is None


def test_login_only_members_cannot_add_accounts(ctx: BrokerContext, build: Builder) -> None:
    with build() as w:
        guest = w.member(WorkspaceRole.LOGIN_ONLY)
    with pytest.raises(PermissionDenied):
        accounts.create(ctx, guest.id, _input())


def test_edit_renames_changes_login_and_replaces_secrets_in_one_go(
    ctx: BrokerContext, build: Builder
) -> None:
    with build() as w:
        me = w.member()
    added = accounts.create(ctx, me.id, _input())
    with transaction(ctx.sessions) as s:
        s.add(OktaExtension(account_id=added.id, workspace_id=build.workspace_id))
        s.execute(delete(SyncOutbox))
        before = s.get_one(Account, added.id).password_secret_id
    code = accounts.update(
        ctx,
        me.id,
        added.id,
        AccountChange(
            name="Payroll (EU)",
            login_url="https://eu.gusto.example/",
            username="eu@acme.example",
            password="new-pw",
            totp_secret=SECRET,
        ),
    )
    assert code is not None
    with ctx.sessions() as s:
        account = s.get_one(Account, added.id)
        assert (account.name, account.login_url, account.username) == (
            "Payroll (EU)",
            "https://eu.gusto.example/",
            "eu@acme.example",
        )
        assert account.password_secret_id != before
        assert s.get(SealedSecret, before or "") is None  # the old password is gone
        assert s.scalars(select(SyncOutbox.account_id)).all() == [added.id]  # the label follows
        sealed = s.get_one(SealedSecret, account.password_secret_id)
        assert ctx.vault.open_text(sealed) == "new-pw"


def test_a_bad_field_in_an_edit_changes_nothing(ctx: BrokerContext, build: Builder) -> None:
    with build() as w:
        me = w.member()
    added = accounts.create(ctx, me.id, _input())
    with pytest.raises(InvalidInput) as refused:
        accounts.update(
            ctx,
            me.id,
            added.id,
            AccountChange(name="Renamed", login_url="http://evil.example/", password="x"),
        )
    assert refused.value.field == "login_url"
    with ctx.sessions() as s:
        assert s.get_one(Account, added.id).name == "Payroll"
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "account.renamed")) is None


def test_collaborators_may_not_edit_and_outsiders_are_told_not_found(
    ctx: BrokerContext, build: Builder
) -> None:
    with build() as w:
        owner, helper, outsider = w.member(), w.member(), w.member(WorkspaceRole.ADMIN)
    added = accounts.create(ctx, owner.id, _input())
    with build() as w:
        w.share(helper, w.session.get_one(Account, added.id), ItemRole.COLLABORATOR)
    assert accounts.detail(ctx, helper.id, added.id).can_manage is False
    with pytest.raises(PermissionDenied):
        accounts.update(ctx, helper.id, added.id, AccountChange(name="Mine"))
    with pytest.raises(PermissionDenied):
        accounts.delete(ctx, helper.id, added.id)
    for act in (
        lambda: accounts.detail(ctx, outsider.id, added.id),
        lambda: accounts.delete(ctx, outsider.id, added.id),
        lambda: accounts.update(ctx, outsider.id, added.id, AccountChange(name="x")),
    ):
        with pytest.raises(NotFound):
            act()


def test_delete_wipes_secrets_and_shares_and_queues_the_okta_app(
    ctx: BrokerContext, build: Builder
) -> None:
    with build() as w:
        me = w.member()
    added = accounts.create(ctx, me.id, _input(totp_secret=SECRET))
    with transaction(ctx.sessions) as s:
        s.add(OktaExtension(account_id=added.id, workspace_id=build.workspace_id))
    assert accounts.delete(ctx, me.id, added.id) == "Payroll"
    with ctx.sessions() as s:
        assert s.scalars(select(SealedSecret)).all() == []
        assert s.scalars(select(Share)).all() == []
        assert s.scalars(select(SyncOutbox.account_id)).all() == [added.id]
    assert accounts.listing(ctx, me.id).total == 0
    with pytest.raises(NotFound):
        accounts.detail(ctx, me.id, added.id)


def test_search_and_paging_happen_in_sql(ctx: BrokerContext, build: Builder) -> None:
    with build() as w:
        me, other = w.member(), w.member()
        for n in range(7):
            account = w.account()
            account.name = f"Zeta {n}" if n % 2 else f"Alpha_{n}%"
            w.share(me, account, ItemRole.COLLABORATOR if n else ItemRole.OWNER)
        w.share(other, account, ItemRole.OWNER)
    first = accounts.listing(ctx, me.id, per_page=3)
    assert (first.total, first.pages, len(first.rows)) == (7, 3, 3)
    assert [r.name for r in first.rows] == ["Alpha_0%", "Alpha_2%", "Alpha_4%"]
    last = accounts.listing(ctx, me.id, per_page=3, page=99)
    assert (last.page, len(last.rows)) == (3, 1)
    # LIKE wildcards in the query are taken literally.
    assert [r.name for r in accounts.listing(ctx, me.id, query="_2%").rows] == ["Alpha_2%"]
    assert accounts.listing(ctx, me.id, query="zeta").total == 3
    assert accounts.listing(ctx, other.id).total == 1
