"""`latchkey seed demo` and `latchkey demo`: the demo workspace, and a tour of what it shows."""

from __future__ import annotations

import functools
import json
import os
import signal
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker import rbac
from broker.db import make_engine, make_session_factory, transaction
from broker.keyring import KeyringNotFound, generate_keyring, load_keyring
from broker.migrate import upgrade
from broker.models import Account, Collection, CollectionItem, Member, SealedSecret
from broker.rbac import MemberFacts
from broker.seed import DemoLogin, DemoWorkspace, seed_demo
from broker.settings import Settings
from broker.totp import current_code
from broker.vault import Vault

if TYPE_CHECKING:
    from e2e.journey.stack import Stack

DEMO_SITES_URL = "http://127.0.0.1:8420"
DEMO_WIDTH = 100  # columns of the tour when it is not printed to a terminal
_ROLE_CELL = {"collaborator": "collab."}
_APP_NAMES = {"single": "Single page", "two-step": "Two steps", "totp": "Code step"}


def demo_sites_file(settings: Settings) -> Path:
    """Where the demo keeps the demo sites' accounts, so `latchkey sandbox` serves the same ones."""
    return settings.data_dir / "demo-sites.json"


def _demo_logins(settings: Settings, sites_url: str) -> list[DemoLogin]:
    # The demo sites stand for third parties: their accounts are generated here, once, and handed
    # to both the vault and the sandbox (through a private file), never committed anywhere.
    from sandbox.apps.seed import demo_seed

    seeds = demo_seed()
    path = demo_sites_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(
            [
                {
                    "site": s.site,
                    "username": s.username,
                    "password": s.password,
                    "totp_secret": s.totp_secret,
                }
                for s in seeds
            ],
            handle,
        )
    return [
        DemoLogin(
            name=f"{s.name}",
            app_name=_APP_NAMES.get(s.site, s.site),
            login_url=s.login_url(sites_url),
            username=s.username,
            password=s.password,
            totp_secret=s.totp_secret,
        )
        for s in seeds
    ]


def _okta_ids() -> dict[str, str]:
    """The sandbox org's user ids, so the demo members are the people who sign in there."""
    from sandbox.seed import SEED_USERS

    return {user.login: user.id for user in SEED_USERS}


def _vault(settings: Settings) -> Vault:
    try:
        return Vault(load_keyring(settings))
    except KeyringNotFound:
        generate_keyring(settings.master_key_file)
        click.echo(f"Generated a master keyring at {settings.master_key_file} (mode 0600).")
        return Vault(load_keyring(settings))


def _seed(settings: Settings, sites_url: str) -> tuple[DemoWorkspace, Vault]:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    vault = _vault(settings)
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        demo_ws = seed_demo(session, vault, _demo_logins(settings, sites_url), okta_ids=_okta_ids())
    engine.dispose()
    return demo_ws, vault


@click.group()
def seed() -> None:
    """Fill the database with example data."""


@seed.command("demo")
@click.option("--sites-url", default=DEMO_SITES_URL, show_default=True)
def seed_demo_command(sites_url: str) -> None:
    """Create (or re-create) the demo workspace."""
    settings = Settings.from_env()
    demo_ws, _ = _seed(settings, sites_url)
    click.echo(
        f"Seeded workspace 'Demo' ({len(demo_ws.member_ids)} members, "
        f"{len(demo_ws.account_ids)} accounts) in {settings.database_url.split('///')[-1]}."
    )


@click.command()
@click.option("--sites-url", default=DEMO_SITES_URL, show_default=True)
@click.option("--no-browser", is_flag=True, help="Stop after the stack's setup: no Chromium.")
@click.option(
    "--serve", is_flag=True, help="Leave the stack running for a person to click (Ctrl-C stops)."
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--broker-port", default=8400, show_default=True, type=int, help="0: a free one.")
@click.option("--org-port", default=8410, show_default=True, type=int, help="0: a free one.")
@click.option("--sites-port", default=8420, show_default=True, type=int, help="0: a free one.")
def demo(
    sites_url: str,
    no_browser: bool,
    serve: bool,
    host: str,
    broker_port: int,
    org_port: int,
    sites_port: int,
) -> None:
    """Set up the embedded default (SQLite, a fresh keyring), show the demo workspace, then run
    the user's journey: the stack on loopback and one chiclet login in headless Chromium."""
    settings = Settings.from_env()
    # A terminal gives its own width; a pipe or a log gets 100 columns, which the tables fit.
    console = Console(width=None if Console().is_terminal else DEMO_WIDTH)
    console.print(f"[bold]Latchkey demo[/] — data in {settings.data_dir}")
    demo_ws, vault = _seed(settings, sites_url)
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        _show(console, session, vault, demo_ws)
    engine.dispose()
    ports = _Ports(host, broker_port, org_port, sites_port)
    if not _journey(console, settings, ports, browser=not no_browser, keep_serving=serve):
        raise SystemExit(1)


def _collection_path(session: Session, account_id: str) -> str:
    holder = session.scalar(
        select(CollectionItem.collection_id).where(CollectionItem.account_id == account_id)
    )
    names: list[str] = []
    while holder is not None:
        collection = session.get(Collection, holder)
        if collection is None:
            break
        names.append(collection.name)
        holder = collection.parent_id
    return " / ".join(reversed(names)) or "—"


def _show(console: Console, session: Session, vault: Vault, demo_ws: DemoWorkspace) -> None:
    people = [session.get(Member, mid) for mid in demo_ws.member_ids.values()]
    accounts = [session.get(Account, aid) for aid in demo_ws.account_ids]

    table = Table(title="Accounts in the vault (secrets sealed with AES-GCM)")
    for column in ("Account", "Login URL", "Username", "Collection", "Code step"):
        table.add_column(column)
    for account in accounts:
        assert account is not None
        table.add_row(
            account.name,
            account.login_url,
            account.username,
            _collection_path(session, account.id),
            "TOTP" if account.totp_secret_id else "—",
        )
    console.print(table)

    # One short cell per account so the matrix fits in 100 columns: the role that may launch,
    # "·" for no access; a refusal that is about the member (not the account) is named below.
    access = Table(title="Who may launch what (broker.rbac)")
    access.add_column("Member", no_wrap=True)
    access.add_column("Role", no_wrap=True)
    for account in accounts:
        assert account is not None
        access.add_column(account.name)
    refused: dict[str, list[str]] = {}
    for member in people:
        assert member is not None
        facts = MemberFacts.of(member)
        cells = []
        for account in accounts:
            assert account is not None
            decision = rbac.decide_launch(session, facts, member.workspace_id, account.id)
            if decision.allowed:
                cells.append(f"[green]{_ROLE_CELL.get(str(decision.role), decision.role)}[/]")
            elif decision.denial == rbac.Denial.NO_ACCESS:
                cells.append("·")
            else:
                cells.append("[red]✗[/]")
                who = refused.setdefault(str(decision.denial), [])
                if member.email not in who:
                    who.append(member.email)
        access.add_row(member.email, member.role.value, *cells)
    console.print(access)
    console.print("  · no share;  collab. = Collaborator")
    for denial, emails in refused.items():
        console.print(f"  [red]✗ {denial}[/]: {', '.join(emails)}")

    sets = rbac.assignment_sets(session, demo_ws.workspace_id)
    console.print("[bold]Okta assignment sets[/] (who sync will assign to each Bookmark app):")
    for account in accounts:
        assert account is not None
        console.print(f"  {account.name}: {', '.join(sorted(sets[account.id])) or '—'}")

    with_code = next((a for a in accounts if a is not None and a.totp_secret_id), None)
    if with_code is not None and with_code.totp_secret_id:
        sealed = session.get(SealedSecret, with_code.totp_secret_id)
        assert sealed is not None
        code = current_code(vault.open_text(sealed, purpose="account.totp"))
        console.print(
            f"Verification code for {with_code.name}, made inside the broker from the sealed "
            f"secret: {code.code} (valid {code.remaining:.0f} s more)."
        )
    console.print(
        "\nThat is the broker's domain, RBAC and vault. Next, the user's journey: the sandbox "
        "Okta org, the demo sites and the broker on loopback, the people provisioned over SCIM, "
        "the accounts extended and synced to Okta, then a chiclet click in Chromium with the "
        "extension."
    )


# -- the user's journey (e2e/journey, from the checkout) ---------------------------------------

_CHICLET_SITE = "totp"  # Umbrella Cloud: username and password, then a code from the broker
_INSTALL_CHROMIUM = (
    "Chromium is not installed, so the demo stops before the browser part. Install it with "
    "`sudo scripts/ensure-chromium` (Debian's `apt-get install chromium`), or set "
    "LATCHKEY_CHROMIUM to a Chromium binary; `make demo` does this when run as root."
)


@dataclass(frozen=True)
class _Ports:
    host: str
    broker: int
    org: int
    sites: int


def _checkout() -> Path | None:
    """The repository this package runs from (an editable install), if it holds the journey and
    the extension the browser loads (`e2e` itself is installed with the package)."""
    root = Path(__file__).resolve().parent.parent
    found = (root / "e2e" / "journey").is_dir() and (root / "extension" / "manifest.json").is_file()
    return root if found else None


def _journey(
    console: Console, settings: Settings, ports: _Ports, *, browser: bool, keep_serving: bool
) -> bool:
    """The stack up, one chiclet login in Chromium, then everything stopped; False on a failure."""
    root = _checkout()
    if root is None:
        console.print("The user's journey needs a checkout of the repository (e2e/, extension/).")
        return True
    from playwright.sync_api import Error as PlaywrightError

    from e2e.browser import chromium_executable
    from e2e.journey.stack import JourneyError, StackConfig, serve_stack
    from e2e.journey.user import StepFailed
    from sandbox.cli import load_sites_file

    executable = chromium_executable() if browser else None
    if browser and executable is None:
        console.print(_INSTALL_CHROMIUM, markup=False)
        return True

    def say(line: str) -> None:
        console.print(f"  → {line}", markup=False, highlight=False, soft_wrap=True)

    console.print("\n[bold]The user's journey[/]")
    config = StackConfig(
        settings.data_dir,
        host=ports.host,
        broker_port=ports.broker,
        org_port=ports.org,
        sites_port=ports.sites,
        sites=load_sites_file(demo_sites_file(settings)),
    )
    try:
        with serve_stack(config, say=say) as stack:
            if executable is not None:
                from e2e.journey.run import run_in_chromium, stack_target
                from sandbox.seed import seed_user

                owner = seed_user("owner")
                target = stack_target(stack, owner.login, owner.password, _CHICLET_SITE)
                with tempfile.TemporaryDirectory(prefix="latchkey-chromium-") as profile:
                    result = run_in_chromium(
                        target,
                        executable=executable,
                        profile_dir=Path(profile),
                        screenshot=settings.data_dir / "journey.png",
                        say=say,
                    )
                console.print(f"Screenshot: {result.screenshot}", soft_wrap=True, highlight=False)
            else:
                say("--no-browser: no chiclet login in Chromium this time")
            if keep_serving:
                _serve_until_interrupted(console, stack)
    except (JourneyError, StepFailed, PlaywrightError) as exc:
        console.print(f"[red]The journey stopped:[/] {exc}", soft_wrap=True)
        return False
    except OSError as exc:  # a port in use, most often
        console.print(f"[red]Could not start the stack:[/] {exc}", soft_wrap=True)
        return False
    console.print("Stopped the broker, the sandbox org and the demo sites.")
    return True


def _serve_until_interrupted(console: Console, stack: Stack) -> None:
    from sandbox.seed import SEED_USERS

    root = _checkout()
    echo = functools.partial(console.print, markup=False, highlight=False, soft_wrap=True)
    stop = threading.Event()
    syncing = threading.Thread(target=stack.keep_syncing, args=(stop,), name="sync", daemon=True)
    syncing.start()
    echo(f"\nServing until Ctrl-C. Okta dashboard: {stack.dashboard_url}")
    echo(f"  broker {stack.broker_url}   demo sites {stack.sites_url}")
    echo(f"  the vault: {stack.broker_url}/accounts (add, share, extend) and /activity")
    echo(f"  org control plane (SCIM, drift, faults): {stack.org_url}/_sandbox/state")
    echo("  sync worker: running (a change reaches Okta within a few seconds)")
    echo(f"  extension: load {root / 'extension' if root else 'extension/'} unpacked")
    echo(f"  (chrome://extensions, Developer mode), then set its broker URL to {stack.broker_url}")
    # The sandbox org's own (fake) API token: what Settings -> API token must hold again after
    # someone tried another one there.
    echo(f"  Okta API token of the sandbox org: {stack.org.ctx.api_token}")
    echo("  sign-in users of the sandbox org (fake, for the demo):")
    for user in SEED_USERS:
        echo(f"    {user.login:<28} {user.password}")
    previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as Ctrl-C does
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        echo("Stopping.")
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop.set()
        syncing.join(timeout=10)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt
