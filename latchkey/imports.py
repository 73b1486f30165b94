"""`latchkey import FILE --format …`: put another password manager's export into the vault.

Run by an operator on the broker's machine (it reads LATCHKEY_* like `serve`). The accounts are
owned by `--owner EMAIL`, or by the workspace's Owner when there is exactly one. What it prints:
every bad row and every row left out (where + why), a summary sentence, and last one JSON line
`{"imported": n, "updated": n, "skipped": n, "failed": n}`. It never prints a secret. Exit status
1 when a row is bad (and nothing was written) or the file is refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from broker.actions import imports
from broker.context import BrokerContext
from broker.db import make_engine, make_session_factory, transaction
from broker.errors import DomainError
from broker.imports import FORMATS
from broker.keyring import KeyringError, load_keyring
from broker.models import Member, WorkspaceRole
from broker.settings import Settings
from broker.vault import Vault


def _default_owner(ctx: BrokerContext) -> str:
    with transaction(ctx.sessions) as db:
        owners = list(
            db.scalars(
                select(Member.email).where(
                    Member.workspace_id == ctx.workspace_id(db),
                    Member.role == WorkspaceRole.OWNER,
                    Member.active.is_(True),
                )
            )
        )
    if len(owners) != 1:
        raise click.UsageError(
            "Say who owns the imported accounts with --owner EMAIL "
            f"(the workspace has {len(owners)} active Owners)."
        )
    return owners[0]


def summary(report: imports.ImportReport) -> list[str]:
    """The lines `latchkey import` prints; shared with nothing that could hold a secret."""
    lines = [
        f"{row.where}: {row.outcome}: {row.reason}"
        for row in report.rows
        if row.outcome == "failed" or (row.outcome == "skipped" and not row.name)
    ]
    totals = report.totals()
    if report.failed:
        lines.append(
            f"{report.failed} bad row(s) in this {report.format_name} file: nothing was imported. "
            "Fix them and run again."
        )
    else:
        verb = "Would import" if report.dry_run else "Imported"
        lines.append(
            f"{verb} {totals['imported']}, "
            f"{'would update' if report.dry_run else 'updated'} {totals['updated']}, "
            f"skipped {totals['skipped']} from this {report.format_name} file"
            + (" (dry run: nothing was written)." if report.dry_run else ".")
        )
    lines.append(json.dumps(totals))
    return lines


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "format_", required=True, type=click.Choice(list(FORMATS)))
@click.option("--collection", default=None, help="Put every account into this collection.")
@click.option("--dry-run", is_flag=True, help="Check every row and say what would happen.")
@click.option("--owner", default=None, metavar="EMAIL", help="The member who owns the accounts.")
def import_command(
    file: Path, format_: str, collection: str | None, dry_run: bool, owner: str | None
) -> None:
    """Import a Bitwarden, 1Password or Chrome export: all rows or none."""
    settings = Settings.from_env()
    data = file.read_bytes()
    try:
        vault = Vault(load_keyring(settings))
    except KeyringError as exc:
        raise click.ClickException(str(exc)) from exc
    engine = make_engine(settings.database_url)
    try:
        ctx = BrokerContext(settings, make_session_factory(engine), vault)
        request = imports.ImportRequest(format_, data, collection, dry_run)
        try:
            report = imports.run_as_owner(ctx, owner or _default_owner(ctx), request)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        except SQLAlchemyError as exc:
            raise click.ClickException(
                f"The database cannot be used ({type(exc).__name__}); "
                "is LATCHKEY_DATABASE_URL right, and has `latchkey db upgrade` run?"
            ) from None
    finally:
        engine.dispose()
    for line in summary(report):
        click.echo(line)
    if report.failed:
        raise SystemExit(1)
