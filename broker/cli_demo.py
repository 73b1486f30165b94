"""`latchkey seed demo` and `latchkey demo`: the demo workspace, and a tour of what it shows."""

from __future__ import annotations

import json
import os
from pathlib import Path

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

DEMO_SITES_URL = "http://127.0.0.1:8420"
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
def demo(sites_url: str) -> None:
    """Set up the embedded default (SQLite, a fresh keyring) and show the demo workspace."""
    settings = Settings.from_env()
    console = Console(width=None if Console().is_terminal else 150)
    console.print(f"[bold]Latchkey demo[/] — data in {settings.data_dir}")
    demo_ws, vault = _seed(settings, sites_url)
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        _show(console, session, vault, demo_ws)
    engine.dispose()


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

    access = Table(title="Who may launch what (broker.rbac)")
    access.add_column("Member")
    access.add_column("Role")
    access.add_column("Okta id")
    for account in accounts:
        assert account is not None
        access.add_column(account.name)
    for member in people:
        assert member is not None
        facts = MemberFacts.of(member)
        cells = []
        for account in accounts:
            assert account is not None
            decision = rbac.decide_launch(session, facts, member.workspace_id, account.id)
            cells.append(
                f"[green]{decision.role}[/]" if decision.allowed else f"[red]✗ {decision.denial}[/]"
            )
        status = "" if member.active else " (deactivated)"
        access.add_row(member.email + status, member.role.value, member.external_id or "—", *cells)
    console.print(access)

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
        "\nThis is what the Foundation provides so far: the domain, RBAC and the vault. "
        "Sign-in with Okta, chiclet launches, sync and the extension come with later issues; "
        "`latchkey sandbox` starts the offline Okta org and the demo login sites."
    )
