"""`latchkey rotate`: change the passwords that queued rotations ask for."""

from __future__ import annotations

import time

import anyio
import click

from broker.db import make_engine, make_session_factory
from broker.rotation.demo_sites import DemoSitesDriver
from broker.rotation.drivers import Drivers
from broker.rotation.runner import RotationRunner, RunSummary
from broker.settings import Settings
from broker.vault import Vault

DEMO_SITES = "http://127.0.0.1:8420"


@click.command("rotate")
@click.option("--once", is_flag=True, help="Work through the jobs due now, then stop.")
@click.option(
    "--demo-sites",
    "demo_sites",
    multiple=True,
    default=(DEMO_SITES,),
    show_default=True,
    help="Origin of the sandbox demo sites whose passwords the demo driver may change.",
)
@click.option("--interval", default=30.0, show_default=True, type=click.FloatRange(min=1))
def rotate(once: bool, demo_sites: tuple[str, ...], interval: float) -> None:
    """Rotate the passwords of accounts whose users were deactivated (queued by SCIM)."""
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        runner = RotationRunner(
            make_session_factory(engine),
            Vault.from_settings(settings),
            Drivers([DemoSitesDriver(demo_sites)]),
        )
        while True:
            summary: RunSummary = anyio.run(runner.run_once)
            click.echo(
                f"Rotated {summary.rotated}, retrying {summary.retrying}, failed {summary.failed}."
            )
            if once:
                return
            time.sleep(interval)
    finally:
        engine.dispose()
