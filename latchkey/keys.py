"""`latchkey keys …`: create, inspect and rotate the vault's master keyring. No command prints key
material; they print key ids and counts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import Progress
from sqlalchemy.orm import Session, sessionmaker

from broker.db import make_engine, make_session_factory, transaction
from broker.keyring import KeyringError, KeyringExists, generate_keyring, load_keyring
from broker.settings import Settings
from broker.vault import RotationSummary, key_usage, retire_unused, rotate


@contextmanager
def _store(settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(settings.database_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def _source(settings: Settings) -> str:
    if settings.master_keys is not None:
        return "LATCHKEY_MASTER_KEYS (environment)"
    return str(settings.master_key_file)


@click.group()
def keys() -> None:
    """The master keyring that wraps the vault's data keys."""


@keys.command()
def generate() -> None:
    """Create the keyring file with one new key, unless it exists."""
    settings = Settings.from_env()
    path = settings.master_key_file
    if settings.master_keys is not None:
        click.echo(f"LATCHKEY_MASTER_KEYS is set and is used instead of {path}; nothing to do.")
        return
    try:
        keyring = generate_keyring(path)
    except KeyringExists:
        click.echo(f"A master keyring already exists at {path}; left unchanged.")
        return
    except (KeyringError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {path} (mode 0600) with master key {keyring.active.kid}.")
    click.echo("Keep it secret and back it up: without it the vault cannot be opened.")


@keys.command()
def status() -> None:
    """Key ids, the active one, and how many secrets each wraps. Exits 1 if a key is missing."""
    settings = Settings.from_env()
    try:
        keyring = load_keyring(settings)
    except KeyringError as exc:
        raise click.ClickException(str(exc)) from exc
    with _store(settings) as factory, transaction(factory) as session:
        usage = key_usage(session)
    click.echo(f"Keyring: {_source(settings)}")
    click.echo(f"{'KEY ID':<32} {'ACTIVE':<6} {'SECRETS':>8}")
    for kid in keyring.kids:
        marker = "*" if kid == keyring.active.kid else ""
        click.echo(f"{kid:<32} {marker:<6} {usage.get(kid, 0):>8}")
    missing = {kid: count for kid, count in usage.items() if kid not in keyring}
    stale = sum(count for kid, count in usage.items() if kid != keyring.active.kid)
    if stale and not missing:
        click.echo(f"{stale} secret(s) use an older key: run `latchkey keys rotate --resume`.")
    if missing:
        for kid, count in sorted(missing.items()):
            click.echo(f"MISSING {kid}: {count} secret(s) cannot be opened", err=True)
        raise SystemExit(1)


@keys.command("rotate")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(min=1))
@click.option("--resume", is_flag=True, help="Add no key: re-wrap what still uses older keys.")
@click.option("--retire", is_flag=True, help="Then remove old keys that no secret uses.")
def rotate_command(batch_size: int, resume: bool, retire: bool) -> None:
    """Add a new active master key and re-wrap every data key with it."""
    settings = Settings.from_env()
    try:
        with _store(settings) as factory, Progress(console=Console(stderr=True)) as bar:
            task = bar.add_task("Re-wrapping data keys", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            summary = rotate(
                factory,
                settings,
                batch_size=batch_size,
                new_key=not resume,
                retire=retire,
                progress=progress,
            )
    except KeyringError as exc:
        raise click.ClickException(str(exc)) from exc
    _report(summary)


def _report(summary: RotationSummary) -> None:
    if summary.added_kid:
        click.echo(f"Added master key {summary.added_kid}; it is now the active key.")
    else:
        click.echo(f"Active master key: {summary.active_kid}.")
    click.echo(
        f"Re-wrapped {summary.rewrapped} of {summary.to_rewrap} data key(s) "
        f"in {summary.batches} batch(es)."
    )
    for secret_id in summary.failed:
        click.echo(f"FAILED {secret_id}: its data key does not unwrap", err=True)
    if summary.retired:
        click.echo(f"Retired master key(s): {', '.join(summary.retired)}.")
    if summary.complete:
        click.echo("Every secret is wrapped by the active key.")
    else:
        click.echo(
            f"{summary.remaining} secret(s) still use older keys; old keys stay in the keyring. "
            "Run `latchkey keys rotate --resume`."
        )
    if summary.failed or not summary.complete:
        raise SystemExit(1)


@keys.command("retire")
def retire_command() -> None:
    """Remove from the keyring file the inactive keys that no secret uses."""
    settings = Settings.from_env()
    try:
        with _store(settings) as factory:
            retired = retire_unused(factory, settings)
    except KeyringError as exc:
        raise click.ClickException(str(exc)) from exc
    if retired:
        click.echo(f"Retired master key(s): {', '.join(retired)}.")
    else:
        click.echo("No key to retire: every inactive key still wraps secrets, or there is none.")
