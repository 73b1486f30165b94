"""`latchkey member deactivate|reactivate EMAIL`: an operator offboards someone by hand.

The same path as a SCIM deactivation and an admin's (`broker.actions.members.deactivate_in`): the
member can launch nothing from now on, their sessions and extension credentials are revoked, and a
password rotation is queued for every account they could launch. For a member Okta provisions,
deactivate them in Okta instead: the next SCIM push would otherwise reactivate them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.actions import members as member_actions
from broker.db import make_engine, make_session_factory, transaction
from broker.models import Member, Workspace
from broker.settings import Settings


@contextmanager
def _member(email: str) -> Iterator[tuple[Session, Member]]:
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as db:
            found = db.scalar(
                select(Member)
                .join(Workspace, Workspace.id == Member.workspace_id)
                .where(Workspace.name == settings.workspace_name, Member.email == email.strip())
            )
            if found is None:
                raise click.ClickException(
                    f"No member {email!r} in the workspace {settings.workspace_name!r}."
                )
            yield db, found
    finally:
        engine.dispose()


@click.group("member")
def member() -> None:
    """Members of the workspace (LATCHKEY_WORKSPACE) that the broker serves."""


@member.command()
@click.argument("email")
def deactivate(email: str) -> None:
    """Deactivate a member: no launch, sessions and extension credentials revoked, rotations."""
    with _member(email) as (db, found):
        if not found.active:
            click.echo(f"{found.email} is deactivated already; nothing changed.")
            return
        done = member_actions.deactivate_in(
            db, found, reason="member deactivated by an operator (latchkey member deactivate)"
        )
    click.echo(
        f"Deactivated {email.strip()}: {done.sessions} session(s) and {done.credentials} "
        f"extension credential(s) revoked, {done.rotations} password rotation(s) queued."
    )


@member.command()
@click.argument("email")
def reactivate(email: str) -> None:
    """Let a deactivated member launch again (they sign in afresh; passwords stay rotated)."""
    with _member(email) as (db, found):
        member_actions.reactivate_in(db, found)
    click.echo(f"Reactivated {email.strip()}.")
