"""The import run: all or nothing, idempotent, the owner is the Owner, collections and folders,
codes, and never a secret in what it says or logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select

from broker import rbac
from broker.actions import imports
from broker.actions.imports import ImportRequest
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import InvalidInput, NotFound, PermissionDenied
from broker.models import (
    Account,
    AuditEvent,
    Collection,
    Member,
    SealedSecret,
    WorkspaceRole,
)
from broker.services import workspaces
from broker.settings import Settings
from broker.totp import current_code
from broker.vault import Vault
from tests.broker.builders import World
from tests.broker.imports.test_parsers import (
    BITWARDEN_HEADER,
    CHROME_HEADER,
    TOTP_URI,
    bitwarden_row,
    csv_bytes,
)
from tests.conftest import Database


@pytest.fixture
def ctx(db: Database, vault: Vault, tmp_path: Path) -> BrokerContext:
    settings = Settings(
        data_dir=tmp_path,
        database_url=str(db.engine.url),
        master_key_file=tmp_path / "m.keys",
        workspace_name="Acme",
    )
    return BrokerContext(settings=settings, sessions=db.sessions, vault=vault)


def _people(ctx: BrokerContext, *roles: WorkspaceRole) -> list[Member]:
    with transaction(ctx.sessions) as s:
        world = World(s, ctx.vault, workspaces.create_workspace(s, "Acme"))
        return [world.member(role) for role in roles]


GOOD = [
    bitwarden_row("GitHub", uri="https://github.com/login", username="ana", password="gh-pw-1"),
    bitwarden_row(
        "Acme Billing",
        uri="https://billing.acme.example/",
        username="ana@acme.example",
        password="acme-pw-2",
        totp=TOTP_URI,
        folder="Finance/Invoices",
    ),
    bitwarden_row("Dev box", uri="http://127.0.0.1:8420/login", password="dev-pw-3"),
    bitwarden_row("Note", kind="note", uri="", username="", password=""),
]
SECRETS = ["gh-pw-1", "acme-pw-2", "dev-pw-3", "JBSWY3DPEHPK3PXP"]


def _request(rows: list[list[str]], **options: object) -> ImportRequest:
    return ImportRequest("bitwarden-csv", csv_bytes(BITWARDEN_HEADER, rows), **options)  # type: ignore[arg-type]


def _accounts(ctx: BrokerContext) -> dict[str, Account]:
    with ctx.sessions() as s:
        live = s.scalars(select(Account).where(Account.deleted_at.is_(None)))
        return {a.name: a for a in live}


def _secret(ctx: BrokerContext, secret_id: str | None) -> str:
    assert secret_id is not None
    with ctx.sessions() as s:
        return ctx.vault.open_text(s.get_one(SealedSecret, secret_id))


def test_a_clean_file_is_imported_and_the_importer_owns_every_account(
    ctx: BrokerContext,
) -> None:
    (ana,) = _people(ctx, WorkspaceRole.USER)

    report = imports.run(ctx, ana.id, _request(GOOD))

    assert report.totals() == {"imported": 3, "updated": 0, "skipped": 1, "failed": 0}
    assert report.written
    accounts = _accounts(ctx)
    assert set(accounts) == {"GitHub", "Acme Billing", "Dev box"}
    billing = accounts["Acme Billing"]
    assert (billing.app_name, billing.username) == ("billing.acme.example", "ana@acme.example")
    assert _secret(ctx, billing.password_secret_id) == "acme-pw-2"
    code = current_code(_secret(ctx, billing.totp_secret_id)).code
    assert code.isdigit()
    assert accounts["GitHub"].totp_secret_id is None
    with ctx.sessions() as s:
        member = s.get_one(Member, ana.id)
        assert all(rbac.can_manage_account(s, member, a.id) for a in accounts.values())
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "import.completed"))
        assert event is not None
        assert event.details["imported"] == 3


def test_one_bad_row_reports_every_bad_row_and_writes_nothing(ctx: BrokerContext) -> None:
    (ana,) = _people(ctx, WorkspaceRole.USER)
    rows = [
        *GOOD,
        bitwarden_row("Plain", uri="http://intranet.example/login"),
        bitwarden_row("No URL", uri=""),
        bitwarden_row("", uri="https://nameless.example"),
        bitwarden_row("No password", uri="https://a.example", password=""),
        bitwarden_row("Bad code", uri="https://b.example", totp="otpauth://hotp/x?secret=AAAA"),
        bitwarden_row("Creds", uri="https://user:pw@c.example"),
        bitwarden_row("GitHub", uri="https://github.com/other", username="ana"),
    ]

    report = imports.run(ctx, ana.id, _request(rows))

    failed = {r.where: r.reason for r in report.rows if r.outcome == "failed"}
    assert list(failed) == [f"line {n}" for n in range(6, 13)]
    assert "must use https" in failed["line 6"]
    assert failed["line 7"] == "no login URL"
    assert "name must not be empty" in failed["line 8"]
    assert failed["line 9"] == "no password"
    assert "verification code" in failed["line 10"]
    assert "must not carry a username or password" in failed["line 11"]
    assert failed["line 12"] == "the same name, login origin and username as line 2"
    assert report.totals() == {"imported": 0, "updated": 0, "skipped": 1, "failed": 7}
    assert {r.outcome for r in report.rows if r.where in ("line 2", "line 3")} == {"ready"}
    assert not report.written
    assert _accounts(ctx) == {}


def test_running_the_same_file_again_changes_nothing_and_a_new_password_updates(
    ctx: BrokerContext,
) -> None:
    (ana,) = _people(ctx, WorkspaceRole.USER)
    imports.run(ctx, ana.id, _request(GOOD))
    before = _accounts(ctx)

    again = imports.run(ctx, ana.id, _request(GOOD))
    changed = [list(GOOD[0]), *GOOD[1:]]
    changed[0][9] = "gh-pw-NEW"
    updated = imports.run(ctx, ana.id, _request(changed))

    assert again.totals() == {"imported": 0, "updated": 0, "skipped": 4, "failed": 0}
    assert updated.totals() == {"imported": 0, "updated": 1, "skipped": 3, "failed": 0}
    after = _accounts(ctx)
    assert {k: a.id for k, a in after.items()} == {k: a.id for k, a in before.items()}
    assert _secret(ctx, after["GitHub"].password_secret_id) == "gh-pw-NEW"


def test_someone_elses_account_is_never_matched_or_changed(ctx: BrokerContext) -> None:
    ana, bob = _people(ctx, WorkspaceRole.USER, WorkspaceRole.USER)
    imports.run(ctx, bob.id, _request(GOOD[:1]))
    bobs = _accounts(ctx)["GitHub"]

    report = imports.run(ctx, ana.id, _request(GOOD[:1]))

    assert report.totals()["imported"] == 1
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 2
    assert _secret(ctx, bobs.password_secret_id) == "gh-pw-1"


def test_a_dry_run_checks_everything_and_writes_nothing(ctx: BrokerContext) -> None:
    (ana,) = _people(ctx, WorkspaceRole.USER)

    report = imports.run(ctx, ana.id, _request(GOOD, dry_run=True, collection="Imported"))

    assert report.totals() == {"imported": 3, "updated": 0, "skipped": 1, "failed": 0}
    assert not report.written
    assert _accounts(ctx) == {}
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Collection)) == 0


def test_the_collection_holds_every_account_and_folders_nest_beneath_it(
    ctx: BrokerContext,
) -> None:
    (ana,) = _people(ctx, WorkspaceRole.USER)

    imports.run(ctx, ana.id, _request(GOOD, collection="From Bitwarden"))
    imports.run(ctx, ana.id, _request(GOOD, collection="From Bitwarden"))  # no second tree

    with ctx.sessions() as s:
        tree = {c.name: c for c in s.scalars(select(Collection))}
        assert set(tree) == {"From Bitwarden", "Finance", "Invoices"}
        assert tree["Finance"].parent_id == tree["From Bitwarden"].id
        assert tree["Invoices"].parent_id == tree["Finance"].id
        member = s.get_one(Member, ana.id)
        assert rbac.can_manage_collection(s, member, tree["Invoices"].id)
        statement = rbac.visible_accounts(rbac.MemberFacts.of(member), member.workspace_id)
        assert len(s.execute(statement).all()) == 3


def test_a_collection_the_importer_does_not_own_is_refused(ctx: BrokerContext) -> None:
    ana, bob = _people(ctx, WorkspaceRole.USER, WorkspaceRole.USER)
    imports.run(ctx, bob.id, _request(GOOD[:1], collection="Shared"))

    with pytest.raises(InvalidInput, match="not its Owner"):
        imports.run(ctx, ana.id, _request(GOOD[1:2], collection="Shared", dry_run=True))


@pytest.mark.parametrize("role", [WorkspaceRole.LOGIN_ONLY, WorkspaceRole.GUEST])
def test_login_only_members_cannot_import(ctx: BrokerContext, role: WorkspaceRole) -> None:
    (who,) = _people(ctx, role)
    with pytest.raises(PermissionDenied):
        imports.run(ctx, who.id, _request(GOOD))


def test_an_operator_imports_for_a_named_owner(ctx: BrokerContext) -> None:
    ana, _viewer = _people(ctx, WorkspaceRole.USER, WorkspaceRole.LOGIN_ONLY)

    report = imports.run_as_owner(ctx, ana.email.upper(), _request(GOOD))

    assert report.totals()["imported"] == 3
    with pytest.raises(NotFound):
        imports.run_as_owner(ctx, "nobody@example.com", _request(GOOD))
    with pytest.raises(InvalidInput, match="Login-only"):
        imports.run_as_owner(ctx, _viewer.email, _request(GOOD))


def test_a_file_of_another_format_is_refused_as_a_whole(ctx: BrokerContext) -> None:
    (ana,) = _people(ctx, WorkspaceRole.USER)
    chrome = csv_bytes(CHROME_HEADER, [["A", "https://a.example", "u", "p", ""]])

    with pytest.raises(InvalidInput, match="not a Bitwarden CSV export") as raised:
        imports.run(ctx, ana.id, ImportRequest("bitwarden-csv", chrome))
    assert raised.value.field == "file"
    with pytest.raises(InvalidInput, match="Unknown format"):
        imports.run(ctx, ana.id, ImportRequest("lastpass", chrome))


def test_no_secret_in_the_report_the_audit_trail_or_the_logs(
    ctx: BrokerContext, caplog: pytest.LogCaptureFixture
) -> None:
    (ana,) = _people(ctx, WorkspaceRole.USER)
    caplog.set_level(logging.DEBUG)
    bad_code = bitwarden_row("Bad code", uri="https://b.example", totp="otpauth://totp/x?secret=1!")

    imports.run(ctx, ana.id, _request(GOOD))
    failed = imports.run(ctx, ana.id, _request([*GOOD, bad_code]))

    with ctx.sessions() as s:
        trail = " ".join(str(e.details) for e in s.scalars(select(AuditEvent)))
    said = repr(failed) + trail + caplog.text
    for secret in [*SECRETS, "secret=1!"]:
        assert secret not in said
