"""Importing another password manager's export into the vault (docs/owner.md, "Import").

All or nothing, by design: every row is read and checked first; if any row is bad, every bad row
is reported (where + why) and nothing is written. A clean file is written in one transaction.
A half-imported vault is the worst outcome of an import: the person cannot tell which rows are
in, and fixing the file and running again must not meet half of it already there.

Re-running is safe. A row matches an account the owner already owns (Owner role on it) with the
same name, login origin and username: identical secrets → "skipped", changed password or code →
"updated" (the secret is replaced, the old one is never shown). Only accounts the owner owns are
matched, so an import never changes an account someone else shares with them. Non-login items
(cards, notes) are "skipped" too, with their reason, and never block the run.

Collections: `collection` (a name) puts every imported account into that top-level collection,
created (the owner its Owner) when missing; Bitwarden folders become sub-collections beneath it
("Work/Billing" nests). Without `collection`, folders are ignored and no collection is touched.

Secrets are never in a report, a log line or an error: reasons name the field, never its value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker import audit, rbac
from broker.actions import _import_collections
from broker.actions._actor import actor
from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from broker.imports import FORMATS, Entry, FormatError
from broker.models import Account, Collection, ItemRole, Member, SealedSecret
from broker.services import accounts, collections, shares
from broker.services._lookup import clean_name

# An export of one team's logins is well under this; the pages and the API refuse bigger bodies.
MAX_FILE_BYTES = 10 * 1024 * 1024
CREATE_REFUSAL = "Login-only members and guests cannot import accounts."


@dataclass(frozen=True)
class ImportRequest:
    format: str
    data: bytes = field(repr=False)
    collection: str | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class RowResult:
    """What became of one row: imported, updated, skipped or failed (with the reason); "ready"
    for a good row of a run that other rows' failures stopped."""

    where: str
    name: str
    outcome: str
    reason: str = ""


@dataclass(frozen=True)
class ImportReport:
    format_name: str
    dry_run: bool
    written: bool
    rows: tuple[RowResult, ...]

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def failed(self) -> int:
        return self.count("failed")

    def totals(self) -> dict[str, int]:
        """The run's JSON line: `{"imported", "updated", "skipped", "failed"}`."""
        return {k: self.count(k) for k in ("imported", "updated", "skipped", "failed")}


@dataclass(frozen=True)
class _Checked:
    entry: Entry
    name: str
    login_url: str
    username: str
    totp: str | None
    match: Account | None = None
    changed: bool = True


# -- entry points ---------------------------------------------------------------------------------


def run(ctx: BrokerContext, member_id: str, request: ImportRequest) -> ImportReport:
    """A signed-in member imports a file; they become the Owner of what it creates."""
    with transaction(ctx.sessions) as db:
        member = actor(db, member_id)
        if not rbac.can_create_items(member):
            raise PermissionDenied(CREATE_REFUSAL)
        return _run(ctx, db, member, request, actor_id=member.id, via="member")


def run_as_owner(ctx: BrokerContext, owner_email: str, request: ImportRequest) -> ImportReport:
    """An operator imports a file on a member's behalf (`latchkey import --owner EMAIL`)."""
    with transaction(ctx.sessions) as db:
        workspace_id = ctx.workspace_id(db)
        member = db.scalar(
            select(Member).where(
                Member.workspace_id == workspace_id,
                func.lower(Member.email) == owner_email.strip().lower(),
            )
        )
        if member is None or not member.active:
            raise NotFound(f"No active member with the email {owner_email!r}.", field="owner")
        if not rbac.can_create_items(member):
            raise InvalidInput(
                "A Login-only member or guest cannot own imported accounts.", field="owner"
            )
        return _run(ctx, db, member, request, actor_id=None, via="operator")


# -- the run --------------------------------------------------------------------------------------


def _run(
    ctx: BrokerContext,
    db: Session,
    owner: Member,
    request: ImportRequest,
    *,
    actor_id: str | None,
    via: str,
) -> ImportReport:
    if request.format not in FORMATS:
        raise InvalidInput(
            f"Unknown format {request.format!r}; use one of: {', '.join(FORMATS)}.",
            field="format",
        )
    if len(request.data) > MAX_FILE_BYTES:
        raise InvalidInput(f"The file is larger than {MAX_FILE_BYTES} bytes.", field="file")
    format_name, parse = FORMATS[request.format]
    try:
        parsed = parse(request.data)
    except FormatError as exc:
        raise InvalidInput(str(exc), field="file") from None
    target = _import_collections.target_collection(db, owner, request.collection)
    existing = _owned_accounts(db, owner)
    results: list[RowResult] = []
    checked: list[_Checked] = []
    seen: dict[tuple[str, str, str], str] = {}
    rows: list[tuple[str, RowResult | _Checked]] = []
    for bad in parsed.bad:
        rows.append((bad.where, RowResult(bad.where, "", "failed", bad.reason)))
    for skipped in parsed.skipped:
        rows.append((skipped.where, RowResult(skipped.where, "", "skipped", skipped.reason)))
    for entry in parsed.entries:
        rows.append((entry.where, _check(ctx, db, entry, existing, seen)))
    for _where, row in sorted(rows, key=lambda pair: _order(pair[0])):
        if isinstance(row, _Checked):
            checked.append(row)
            done = "imported" if row.match is None else "updated" if row.changed else "skipped"
            reason = "" if done != "skipped" else "already in the vault, unchanged"
            results.append(RowResult(row.entry.where, row.name, done, reason))
        else:
            results.append(row)
    report = ImportReport(format_name, request.dry_run, False, tuple(results))
    if report.failed:
        stopped = (
            RowResult(r.where, r.name, "ready") if r.outcome in ("imported", "updated") else r
            for r in results
        )
        return ImportReport(format_name, request.dry_run, False, tuple(stopped))
    if request.dry_run:
        return report
    _write(ctx, db, owner, checked, target, request.collection, actor_id=actor_id)
    audit.record(
        db,
        owner.workspace_id,
        "import.completed",
        actor_id=actor_id,
        target_type="member",
        target_id=owner.id,
        format=request.format,
        via=via,
        collection=request.collection,
        **report.totals(),
    )
    return ImportReport(format_name, False, True, tuple(results))


def _order(where: str) -> int:
    number = where.rsplit(" ", 1)[-1]
    return int(number) if number.isdigit() else 0


def _owned_accounts(db: Session, owner: Member) -> dict[tuple[str, str, str], Account]:
    visible = rbac.visible_accounts(rbac.MemberFacts.of(owner), owner.workspace_id).subquery()
    owned = db.scalars(
        select(Account)
        .join(visible, visible.c.account_id == Account.id)
        .where(visible.c.strength >= 2)
    )
    return {accounts.login_key(a.name, a.login_url, a.username): a for a in owned}


def _check(
    ctx: BrokerContext,
    db: Session,
    entry: Entry,
    existing: dict[tuple[str, str, str], Account],
    seen: dict[tuple[str, str, str], str],
) -> RowResult | _Checked:
    def bad(reason: str) -> RowResult:
        return RowResult(entry.where, entry.name.strip()[:200], "failed", reason)

    try:
        name = clean_name(entry.name)
    except DomainError as exc:
        return bad(exc.message.rstrip("."))
    if not entry.login_url.strip():
        return bad("no login URL")
    try:
        login_url = accounts.clean_login_url(entry.login_url)
    except DomainError as exc:
        return bad(exc.message.rstrip("."))
    username = entry.username.strip()
    if not username:
        return bad("no username")
    if not entry.password:
        return bad("no password")
    totp = None
    if entry.totp.strip():
        try:
            totp = accounts.canonical_totp(entry.totp)
        except DomainError:
            # The service's message may quote the value; a code secret never goes in a report.
            return bad("the verification code is neither an otpauth://totp URI nor base32")
    key = accounts.login_key(name, login_url, username)
    if key in seen:
        return bad(f"the same name, login origin and username as {seen[key]}")
    seen[key] = entry.where
    match = existing.get(key)
    changed = match is None or _secrets_differ(ctx, db, match, entry.password, totp)
    return _Checked(entry, name, login_url, username, totp, match, changed)


def _secrets_differ(
    ctx: BrokerContext, db: Session, account: Account, password: str, totp: str | None
) -> bool:
    def opened(secret_id: str | None, purpose: str) -> str | None:
        if secret_id is None:
            return None
        return ctx.vault.open_text(db.get_one(SealedSecret, secret_id), purpose=purpose)

    return opened(account.password_secret_id, "account.password") != password or opened(
        account.totp_secret_id, "account.totp"
    ) != (totp or None)


# -- writing --------------------------------------------------------------------------------------


def _write(
    ctx: BrokerContext,
    db: Session,
    owner: Member,
    rows: list[_Checked],
    top: Collection | None,
    top_name: str | None,
    *,
    actor_id: str | None,
) -> None:
    made: dict[tuple[str | None, str], Collection] = {}
    # The services flush what their queries need; autoflushing before every one of their
    # queries as well costs a fifth of a large import's time.
    with db.no_autoflush:
        for row in rows:
            _write_row(ctx, db, owner, row, top, top_name, made, actor_id=actor_id)
            if top is None and top_name is not None:
                top = made.get((None, clean_name(top_name, field="collection")))


def _write_row(
    ctx: BrokerContext,
    db: Session,
    owner: Member,
    row: _Checked,
    top: Collection | None,
    top_name: str | None,
    made: dict[tuple[str | None, str], Collection],
    *,
    actor_id: str | None,
) -> None:
    if row.match is None:
        account = accounts.create_account(
            db,
            owner.workspace_id,
            accounts.AccountInput(
                name=row.name,
                app_name=urlsplit(row.login_url).hostname or row.name,
                login_url=row.login_url,
                username=row.username,
                password=row.entry.password,
                totp_secret=row.totp,
            ),
            vault=ctx.vault,
            actor_id=actor_id,
        )
        shares.share(
            db,
            owner.workspace_id,
            shares.Subject(member_id=owner.id),
            shares.Target(account_id=account.id),
            ItemRole.OWNER,
            actor_id=actor_id,
        )
    else:
        account = row.match
        if row.changed:
            accounts.set_secret(
                db,
                owner.workspace_id,
                account.id,
                vault=ctx.vault,
                password=row.entry.password,
                totp_secret=row.totp or "",
                actor_id=actor_id,
            )
    if top_name is not None:
        collection = _import_collections.collection_path(
            db, owner, top, top_name, row.entry.folder, made, actor_id
        )
        collections.add_account(
            db, owner.workspace_id, collection.id, account.id, actor_id=actor_id
        )
