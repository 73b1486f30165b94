"""`latchkey worker` (keep Okta in step, for ever) and `latchkey sync` (one full pass, now).

Both read the broker's configuration from the environment (`broker.settings`); the Okta domain
and sealed API token of each workspace come from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from broker.db import engine_for, make_session_factory
from broker.settings import Settings
from broker.startup import check_database_exists, check_ready
from broker.vault import Vault
from sync.broker_access import BrokerAccessSettings
from sync.clients import client_maker
from sync.okta import LimiterSettings
from sync.okta_groups import okta_groups_from_env
from sync.report import Tally
from sync.state import Strategy
from sync.worker import Worker, WorkerSettings

_STRATEGY = click.option(
    "--strategy",
    type=click.Choice([s.value for s in Strategy]),
    default=Strategy.INDIVIDUAL.value,
    show_default=True,
    help="Assign users one by one, or through one Latchkey-owned Okta group per app.",
)
_SHARE = click.option(
    "--share",
    type=click.FloatRange(0.01, 1.0),
    default=0.5,
    show_default=True,
    help="Part of each Okta rate-limit bucket this worker may use (Okta's default per token).",
)
_LISTING_GRACE = click.option(
    "--listing-grace",
    type=click.FloatRange(0.0),
    default=WorkerSettings.listing_grace.total_seconds(),
    show_default=True,
    help="Seconds Okta may take to show a new app: no second app is made within them.",
)


@contextmanager
def _worker(strategy: str, share: float, listing_grace: float) -> Iterator[Worker]:
    settings = Settings.from_env()
    check_database_exists(settings.database_url)
    engine = engine_for(settings)
    try:
        vault = Vault.from_settings(settings)
        # Before any row is claimed: a worker that cannot finish its work must not take it.
        check_ready(engine, vault)
        yield Worker(
            make_session_factory(engine),
            vault,
            settings.broker_url,
            make_client=client_maker(limiter_settings=LimiterSettings(share=share)),
            settings=WorkerSettings(
                strategy=Strategy(strategy),
                listing_grace=timedelta(seconds=listing_grace),
                broker_access=BrokerAccessSettings.from_env(settings.oidc_client_id),
                okta_groups=okta_groups_from_env(),
            ),
        )
    finally:
        engine.dispose()


@click.command("worker")
@click.option(
    "--poll-interval", type=float, default=1.0, show_default=True, help="Seconds between polls."
)
@click.option(
    "--full-pass-interval",
    type=float,
    default=3600.0,
    show_default=True,
    help="Seconds between full passes that repair drift (0: never).",
)
@click.option("--once", is_flag=True, help="One full pass and one round, then exit.")
@_STRATEGY
@_SHARE
@_LISTING_GRACE
def worker(
    poll_interval: float,
    full_pass_interval: float,
    once: bool,
    strategy: str,
    share: float,
    listing_grace: float,
) -> None:
    """Keep Okta in step with the broker: sync due accounts, and repair drift periodically."""

    async def main(sync_worker: Worker) -> Tally:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        try:
            return await sync_worker.run(
                poll_interval=poll_interval,
                full_pass_interval=full_pass_interval or None,
                once=once,
                stop=stop,
            )
        finally:
            await sync_worker.aclose()

    with _worker(strategy, share, listing_grace) as sync_worker:
        click.echo("latchkey worker: syncing extended accounts to Okta (Ctrl-C stops).")
        tally = asyncio.run(main(sync_worker))
    _summary(Console(), tally)


class _Bar:
    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task = progress.add_task("Syncing extended accounts", total=None)

    def started(self, total: int) -> None:
        self._progress.update(self._task, total=total)

    def advanced(self, done: int = 1) -> None:
        self._progress.advance(self._task, done)


@click.command("sync")
@_STRATEGY
@_SHARE
@_LISTING_GRACE
def sync(strategy: str, share: float, listing_grace: float) -> None:
    """Run one full pass now: every extended account of every workspace, drift repaired.

    Exits 1 when any account could not be synced (Okta refused, failed or did not answer)."""
    console = Console()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )

    async def main(sync_worker: Worker, progress: Progress) -> Tally:
        try:
            return await sync_worker.full_pass(progress=_Bar(progress))
        finally:
            await sync_worker.aclose()

    with (
        _worker(strategy, share, listing_grace) as sync_worker,
        Progress(*columns, console=console) as progress,
    ):
        tally = asyncio.run(main(sync_worker, progress))
    _summary(console, tally)
    not_synced = tally.failed + tally.retrying
    if not_synced or tally.paused_workspaces:
        # Exit 1 whenever Okta did not take everything: a script or a CI job must not read
        # success when Okta answered errors (the worker retries the temporary ones later).
        click.echo(
            f"Error: {_count(not_synced, 'account')} not synced and "
            f"{_count(tally.paused_workspaces, 'workspace')} paused (Okta's answers above). "
            "Fix what they name, then run `latchkey sync` again.",
            err=True,
        )
        raise SystemExit(1)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _summary(console: Console, tally: Tally) -> None:
    table = Table(title="Sync summary", show_header=False)
    rows = [
        ("Accounts", tally.accounts),
        ("Apps created", tally.apps_created),
        ("Apps updated", tally.apps_updated),
        ("Apps deleted", tally.apps_deleted),
        ("Apps reactivated", tally.apps_activated),
        ("Assignments added", tally.assignments_added),
        ("Assignments removed", tally.assignments_removed),
        ("Group members added", tally.members_added),
        ("Group members removed", tally.members_removed),
        ("Groups assigned to apps", tally.groups_assigned),
        ("Groups unassigned from apps", tally.groups_unassigned),
        ("Groups deleted", tally.groups_deleted),
        ("Failures", tally.failed),
        ("Retrying later", tally.retrying),
        ("Waiting for Okta to show a new app", tally.deferred),
        ("Workspaces paused (token refused)", tally.paused_workspaces),
    ]
    for name, value in rows:
        table.add_row(name, str(value))
    for bucket, calls in sorted(tally.calls.items()):
        table.add_row(f"API calls, bucket {bucket}", str(calls))
    console.print(table)
    for error in tally.errors[:20]:
        console.print(f"[red]failed[/red] {error}")
