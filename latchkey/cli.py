"""The `latchkey` command: one entry point for the broker, its store, the vault and the sandbox."""

from __future__ import annotations

import click

from broker.db import make_engine
from broker.migrate import current_revision, head_revision, upgrade
from broker.rotation.cli import rotate
from broker.settings import Settings
from latchkey.demo import demo, seed
from latchkey.keys import keys
from latchkey.serve import serve
from sandbox.cli import sandbox
from sync.cli import sync, worker


@click.group()
def main() -> None:
    """Latchkey: Okta chiclets that finish the login on sites without SSO."""


@main.group()
def db() -> None:
    """The broker's database (LATCHKEY_DATABASE_URL; SQLite under LATCHKEY_DATA_DIR by default)."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration the database does not have yet."""
    engine = make_engine(Settings.from_env().database_url)
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
    engine = make_engine(Settings.from_env().database_url)
    try:
        click.echo(current_revision(engine) or "empty (run `latchkey db upgrade`)")
    finally:
        engine.dispose()


main.add_command(keys)
main.add_command(seed)
main.add_command(demo)
main.add_command(sandbox)
main.add_command(serve)
main.add_command(worker)
main.add_command(rotate)
main.add_command(sync)
