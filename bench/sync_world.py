"""The workspaces bench/sync.py syncs: who may launch which account, made the way the product does.

A `Spec` is pure data (people by number, pushed teams as lists of people, accounts shared with a
team and/or with people directly), so the calls a first sync of it cannot avoid (`minimum_plan`)
are known before anything is built, and for sizes too big to run. `build` makes it for real:

- the people are users of the sandbox org, provisioned to the broker by Okta's SCIM client
  (`sandbox/org/scim_client.py`) through the broker's own SCIM routes, in process;
- each pushed team is an Okta group of the org, pushed over SCIM (Group Push): a team of the
  workspace with the same members;
- each account is made through the domain services, shared (its owner first) and extended by its
  owner, which queues it for sync.

`check` reads the org afterwards: one app per account, held (directly or through a group) by
exactly the people who may launch it.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.routing import Mount

from bench.sync_floor import Plan
from broker.context import BrokerContext
from broker.db import transaction
from broker.models import Account, ItemRole, Member, Team, Workspace
from broker.scim import PREFIX, routes
from broker.services import extensions, workspaces
from broker.settings import Secret, Settings
from broker.vault import Vault
from sandbox.org.context import OrgContext
from sandbox.org.scim_client import ScimClient
from sandbox.org.state import OrgApp, OrgGroup, OrgUser
from sync.worker import WorkerSettings
from tests.broker.builders import World

WORKSPACE = "Bench"
TEAM_SIZES = (20, 200)  # people in the smallest and the largest pushed team


@dataclass(frozen=True)
class AccountSpec:
    team: int | None  # the pushed team it is shared with (an index into `Spec.teams`)
    people: tuple[int, ...] = ()  # people it is shared with directly


@dataclass(frozen=True)
class Spec:
    name: str
    people: int  # people 0 .. people - 1, every one an Okta user provisioned to Latchkey
    teams: tuple[tuple[int, ...], ...]  # each pushed team's members
    accounts: tuple[AccountSpec, ...]
    spare: tuple[int, ...] = ()  # shared with nothing: the propagation samples share them

    def users(self, account: AccountSpec) -> frozenset[int]:
        """Everyone who may launch the account."""
        team = self.teams[account.team] if account.team is not None else ()
        return frozenset(team) | frozenset(account.people)

    def owner(self, account: AccountSpec) -> int:
        if account.team is not None:
            return min(self.teams[account.team])
        return account.people[0]

    def describe(self) -> str:
        sizes = sorted(len(t) for t in self.teams)
        users = sum(len(self.users(a)) for a in self.accounts)
        teams = f", {len(sizes)} pushed teams of {sizes[0]}-{sizes[-1]}" if sizes else ""
        return (
            f"{self.name}: {len(self.accounts)} accounts, {self.people} people{teams},"
            f" {users / len(self.accounts):.1f} people per account"
        )


def direct(accounts: int, users: int) -> Spec:
    """Every account shared with the same `users` people one by one (the first owns it)."""
    shared = tuple(range(users))
    return Spec(
        "direct",
        people=2 * users,
        teams=(),
        accounts=tuple(AccountSpec(None, shared) for _ in range(accounts)),
        spare=tuple(range(users, 2 * users)),
    )


def pushed(accounts: int, teams: int, pool: int, *, extra_every: int = 5, seed: int = 16) -> Spec:
    """Accounts shared with pushed teams of 20-200 people drawn from `pool` people.

    Team sizes are spread evenly from 20 to 200; account `i` is shared with team `i mod teams`
    (its owner is the team's first member), and every `extra_every`-th account also with one
    person outside that team, directly.
    """
    rng = random.Random(seed)
    low, high = TEAM_SIZES
    sizes = [low + round((high - low) * j / max(1, teams - 1)) for j in range(teams)]
    if max(sizes) > pool:
        raise ValueError(f"a pool of {pool} people cannot make a team of {max(sizes)}")
    members = tuple(tuple(sorted(rng.sample(range(pool), size))) for size in sizes)
    made = []
    for i in range(accounts):
        team = i % teams
        extra: tuple[int, ...] = ()
        if extra_every and i % extra_every == extra_every - 1:
            outside = sorted(set(range(pool)) - set(members[team]))
            extra = (rng.choice(outside),) if outside else ()
        made.append(AccountSpec(team, extra))
    return Spec("pushed", people=pool, teams=members, accounts=tuple(made))


def minimum_plan(strategy: str, spec: Spec, batch: int = WorkerSettings.batch_size) -> Plan:
    """The calls a first sync of `spec` into an empty org cannot avoid, and what each needs.

    Sync reconciles by level: it reads the org's Bookmark apps (one page: there are none yet)
    before it writes. Then, per account:

    - `individual`: create the app; assign each person once it exists (`apps` bucket);
    - `group`: create the app (`apps`) and the account's group (`groups`); assign the group to the
      app once both exist (`apps`); add each person to the group once it exists (`groups`: Okta
      counts membership calls there);
    - `okta_group`: create the app; find each pushed team's Okta group once (`groups`: a search
      by the team's name, as Okta's Group Push sends no `externalId`) and read its members once
      in each round that syncs one of its accounts (`groups`, one page of up to 1,000); assign
      the group to the app once both are known (`apps`); assign the people the group does not
      cover one by one (`apps`).

    Rounds: the worker claims `batch` accounts at a time (`WorkerSettings.batch_size`), in the
    order they were queued (here `spec.accounts`). A group's members are listed in every round
    that assigns it, by design: a Login-only person may join the group in Okta at any time, and
    each decision to assign a group rests on a listing no older than its round (one listing for
    a whole 2,000-account first sync would be an hour and more old by its last round). So the
    minimum counts one listing per team per round, not one per team.
    """
    plan = Plan()
    listing = plan.add("apps")
    searches: dict[int, int] = {}
    reads: dict[tuple[int, int], int] = {}
    for index, account in enumerate(spec.accounts):
        round_ = index // batch
        users = spec.users(account)
        app = plan.add("apps", listing)
        if strategy == "individual":
            plan.add_many("apps", len(users), app)
        elif strategy == "group":
            group = plan.add("groups", listing)
            plan.add("apps", app, group)
            plan.add_many("groups", len(users), group)
        elif strategy == "okta_group":
            uncovered = users
            if account.team is not None:
                if account.team not in searches:
                    searches[account.team] = plan.add("groups")
                read = (account.team, round_)
                if read not in reads:
                    reads[read] = plan.add("groups", searches[account.team])
                plan.add("apps", app, reads[read])
                uncovered = users - frozenset(spec.teams[account.team])
            plan.add_many("apps", len(uncovered), app)
        else:
            raise ValueError(f"no minimum known for the {strategy!r} strategy")
    return plan


@dataclass(frozen=True)
class Built:
    workspace_id: str
    okta_ids: list[str]  # person number -> Okta user id
    accounts: list[str]  # account ids, in `Spec.accounts` order
    members: dict[int, Member]  # person number -> member (detached)
    made: list[Account]


async def build(
    spec: Spec,
    sessions: sessionmaker[Session],
    vault: Vault,
    org: OrgContext,
    *,
    okta_url: str,
    okta_token: str,
    broker_url: str,
    directory: Path,
) -> Built:
    with transaction(sessions) as session:
        workspace = workspaces.create_workspace(session, WORKSPACE)
        workspaces.set_okta_domain(session, workspace.id, okta_url)
        workspaces.set_okta_token(session, workspace.id, okta_token, vault=vault)
        workspaces.set_extended_access(session, workspace.id, True)
        workspace_id = workspace.id
    with org.state.locked() as state:
        users = [
            state.add_user(f"person{p}@example.com", first_name="Person", last_name=str(p))
            for p in range(spec.people)
        ]
        groups = []
        for j, team in enumerate(spec.teams):
            group = state.add_group(f"Team {j}", "pushed to Latchkey")
            group.member_ids = {users[p].id for p in team}
            groups.append(group)
    await _push(spec, users, groups, sessions, vault, broker_url, directory)
    okta_ids = [u.id for u in users]
    with transaction(sessions) as session:
        workspace = session.get_one(Workspace, workspace_id)
        found = {
            m.external_id: m
            for m in session.scalars(select(Member).where(Member.workspace_id == workspace_id))
        }
        members = {p: found[okta_ids[p]] for p in range(spec.people)}
        teams = {
            t.name: t
            for t in session.scalars(select(Team).where(Team.workspace_id == workspace_id))
        }
        world = World(session, vault, workspace)
        made = []
        for account_spec in spec.accounts:
            account = world.account()
            owner = members[spec.owner(account_spec)]
            world.share(owner, account, ItemRole.OWNER)
            if account_spec.team is not None:
                world.share(teams[f"Team {account_spec.team}"], account)
            for p in account_spec.people:
                if members[p].id != owner.id:
                    world.share(members[p], account)
            extensions.extend_account(session, owner, account.id)
            made.append(account)
        session.flush()
        for thing in [*members.values(), *made]:
            session.expunge(thing)
    return Built(workspace_id, okta_ids, [a.id for a in made], members, made)


async def _push(
    spec: Spec,
    users: Sequence[OrgUser],
    groups: Sequence[OrgGroup],
    sessions: sessionmaker[Session],
    vault: Vault,
    broker_url: str,
    directory: Path,
) -> None:
    """Okta's SCIM client provisions every person and pushes every team, to the broker's SCIM
    server in process."""
    token = secrets.token_urlsafe(32)
    settings = Settings(
        data_dir=directory,
        database_url="sqlite://",  # unused: the context carries the bench's sessions
        master_key_file=directory / "master.keys",
        broker_url=broker_url,
        workspace_name=WORKSPACE,
        scim_token=Secret(token),
    )
    app = Starlette(routes=[Mount(PREFIX, routes=routes(BrokerContext(settings, sessions, vault)))])
    transport = httpx.ASGITransport(app=app)
    async with ScimClient(broker_url + PREFIX, token, transport=transport) as client:
        for user in users:
            await client.push_user(user)
        for group, team in zip(groups, spec.teams, strict=True):
            await client.push_group(group, [users[p] for p in team])


def check(spec: Spec, built: Built, org: OrgContext, broker_url: str) -> list[str]:
    """What is wrong in the org after the sync: apps missing or extra, people who hold an app
    they may not launch or lack one they may (directly or through a group)."""
    problems = []
    with org.state.locked() as state:
        by_url: dict[str, OrgApp] = {}
        for app in state.apps.values():
            settings = app.settings.get("app")
            if app.sign_on_mode != "BOOKMARK" or not isinstance(settings, dict):
                continue
            url = str(settings.get("url"))
            if url in by_url:
                problems.append(f"two apps for {url}")
            by_url[url] = app
        for account_spec, account_id in zip(spec.accounts, built.accounts, strict=True):
            found = by_url.pop(f"{broker_url}/launch/{account_id}", None)
            if found is None:
                problems.append(f"no app for account {account_id}")
                continue
            holders = set(found.user_ids)
            for group_id in found.group_ids:
                holders |= state.groups[group_id].member_ids
            wanted = {built.okta_ids[p] for p in spec.users(account_spec)}
            if holders != wanted:
                problems.append(
                    f"account {account_id}: {len(holders - wanted)} extra,"
                    f" {len(wanted - holders)} missing"
                )
        problems += [f"app for {url} matches no account" for url in by_url]
    return problems
