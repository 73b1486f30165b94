"""The `latchkey` command: one entry point for the broker, its store, the vault and the sandbox."""

from __future__ import annotations

import click

from broker.db import engine_for
from broker.migrate import current_revision, head_revision, upgrade
from broker.rotation.cli import rotate
from broker.settings import Settings
from broker.web.logs import configure_logging
from latchkey.demo import demo, seed
from latchkey.errors import LatchkeyGroup, debug_option
from latchkey.imports import import_command
from latchkey.keys import keys
from latchkey.members import member
from latchkey.serve import serve
from sandbox.cli import sandbox
from sync.cli import sync, worker

# Long-running commands whose lines a log collector reads: JSON, one object per line, secrets
# redacted, as `latchkey serve` writes them (`broker/web/logs.py`).
_JSON_LOGS = frozenset({"worker"})


@click.group(cls=LatchkeyGroup)
@debug_option
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Latchkey: Okta chiclets that finish the login on sites without SSO."""
    if ctx.invoked_subcommand in _JSON_LOGS:
        configure_logging("INFO")


@main.group()
def db() -> None:
    """The broker's database (LATCHKEY_DATABASE_URL; SQLite under LATCHKEY_DATA_DIR by default)."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration the database does not have yet."""
    engine = engine_for(Settings.from_env())
    try:
        upgrade(engine)
        click.echo(
            f"Database at revision {current_revision(engine)} (head {head_revision(engine)})."
        )
    finally:
        engine.dispose()


@db.command("current")
def db_current() -> None:
    """Show the database's migration revision."""
    engine = engine_for(Settings.from_env())
    try:
        click.echo(current_revision(engine) or "empty (run `latchkey db upgrade`)")
    finally:
        engine.dispose()


main.add_command(keys)
main.add_command(member)
main.add_command(seed)
main.add_command(demo)
main.add_command(sandbox)
main.add_command(serve)
main.add_command(worker)
main.add_command(rotate)
main.add_command(sync)
main.add_command(import_command)
