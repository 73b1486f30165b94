"""A bounded soak: launches, SCIM changes and share changes at once, then Okta must be exact.

The stack runs on loopback on PostgreSQL, each part a process of its own: the sandbox (`latchkey
sandbox`: the Okta org with Okta's Workforce rate limits, and the demo login sites), two brokers
(`latchkey serve` on their own ports, one public URL as behind a reverse proxy), two sync workers
(`latchkey worker` on one API token, in rounds only: no full pass, which would repair and so hide
a lost outbox row) and a load generator. For `--minutes`, at once:

- launches through the extension API (launch page → redeem with proof → code), an open loop at
  `--rate` per second from the generator, the page and the code on one broker and the redeem on
  the other; sessions and extension keys are made through the broker's own code, as
  bench/launch_load.py makes them;
- SCIM changes, pushed by the sandbox's SCIM client (Okta's) to broker 1: people created,
  deactivated and reactivated, Okta-group memberships changed and the groups pushed (teams), and
  people renamed by direct SCIM `PUT`s to broker 2;
- share changes through the admin API (as the workspace's Owner, with a personal API token):
  accounts shared with people and teams and unshared, accounts added and extended, some deleted.

Then the load stops and sync must settle: 0 errors (an HTTP 5xx or unexpected 4xx seen by any
client or counted by the brokers' own /metrics, a traceback in any process's log), no lost outbox
row (every change reached Okta: the sandbox's Bookmark apps and their assignments equal what the
broker wants, `tests/reliability/in_step.py`, and the outbox is empty; and they equal what the
soak's own record of the changes it made says, so a change the broker dropped counts too), no
duplicate app at any moment (the org is sampled during the run), and the RSS of every process
(/proc/<pid>/status VmRSS) at the start of the load (after a warm-up) and at the end. Okta 429s
are counted by the sandbox and reported: two workers on one token may overshoot the token's
budget; their retries must still end exact. The last line is JSON:

    {"minutes": …, "launches": …, "scim_changes": …, "share_changes": …, "errors": 0,
     "lost_outbox_rows": 0, "rss_growth_pct": {process: %}, "okta_429s": …, …}

    .venv/bin/python bench/soak.py [--minutes N | --quick] [--database-url URL] [--rate R]
                                   [--share-every S] [--scim-every S] [--logs DIR]

PostgreSQL is `--database-url`, else LATCHKEY_TEST_POSTGRES_URL, else the tests' default
(postgres@127.0.0.1:5432/test); the soak works in a schema of its own and drops it. It refuses
with one line when no server answers. Exit status 1 when the soak was not clean.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WORKSPACE = "Soak"
ADMIN = "/api/admin/v1"
SCIM = "/scim/v2"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# A request sent on a kept-alive connection just as the server closes it (idle) fails with nothing
# read. Browsers send it again on a fresh connection (Chromium's HttpNetworkTransaction resends
# when a reused socket fails before any answer); httpx does not. httpx and uvicorn both drop idle
# connections after 5 s: the soak's clients drop theirs after 2 s, so the race cannot happen.
CLIENT_LIMITS = httpx.Limits(keepalive_expiry=2.0)
_METRIC = re.compile(r"^latchkey_http_requests_total\{(?P<labels>[^}]*)\} (?P<value>[0-9.e+]+)$")


class Refused(Exception):
    """The soak cannot run here (no PostgreSQL): one line for the operator."""


@dataclass(frozen=True)
class Plan:
    minutes: float = 5.0
    rate: float = 4.0  # launches a second (open loop)
    launchers: int = 8  # members launching, each with their own extended account
    accounts: int = 6  # extended accounts whose shares change
    people: int = 10  # Okta users provisioned over SCIM whose access changes
    groups: int = 3  # Okta groups pushed as teams
    share_every: float = 6.0  # seconds between share changes
    scim_every: float = 8.0  # seconds between SCIM changes
    warmup_s: float = 30.0  # load before the RSS "start" sample
    settle_s: float = 420.0  # the longest wait for sync to settle after the load
    seed: int = 16


# --- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_kb(pid: int) -> int:
    """VmRSS of the process (proc(5)), in kB; 0 once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def problems(self) -> tuple[list[str], int]:
        """(errors, warnings) in its log: each traceback (sync's and the sandbox's plain logs) and
        each JSON line at level error or critical (the broker's, which name the exception type
        only); warnings are counted, not judged (a 429 retried, a lock lost and requeued)."""
        errors: list[str] = []
        warnings = 0
        lines = self.log.read_text(errors="replace").splitlines()
        for n, line in enumerate(lines):
            if line.startswith("{"):
                try:
                    record = json.loads(line)
                except ValueError:
                    record = {}
                level = str(record.get("level", ""))
                if level in ("error", "critical"):
                    errors.append(f"{record.get('msg')} {record.get('exc_type', '')}".strip())
                warnings += level == "warning"
            elif line.startswith("Traceback (most recent call last)"):
                last = next((x for x in lines[n + 1 :] if x and not x.startswith(" ")), line)
                errors.append(last[:200])
        return errors, warnings


class Processes:
    """The soak's processes, each logging to a file; all stopped (SIGTERM, then SIGKILL) at exit."""

    def __init__(self, stack: ExitStack, logs: Path, env: dict[str, str]) -> None:
        self.logs = logs
        self.env = env
        self.all: list[Proc] = []
        stack.callback(self.stop_all)

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> Proc:
        log = self.logs / f"{name}.log"
        argv = [sys.executable, "-c", "from latchkey.cli import main; main()", *args]
        with log.open("wb") as out:
            popen = subprocess.Popen(  # noqa: S603
                argv,
                env={**os.environ, **self.env, **(env or {})},
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        proc = Proc(name, popen, log)
        self.all.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.all:
            if proc.popen.poll() is None:
                proc.popen.terminate()
        for proc in self.all:
            try:
                proc.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait()

    def rss(self) -> dict[str, int]:
        return {proc.name: rss_kb(proc.pid) for proc in self.all}

    def dead(self) -> list[str]:
        return [p.name for p in self.all if p.popen.poll() is not None]

    def check_alive(self) -> None:
        """Stop the soak at once when a process has exited: nothing after that can be judged."""
        for proc in self.all:
            if proc.popen.poll() is not None:
                tail = proc.log.read_text(errors="replace")[-1500:]
                raise SystemExit(f"soak: {proc.name} exited ({proc.popen.returncode}):\n{tail}")


def wait_for(url: str, proc: Proc, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.popen.poll() is not None or time.monotonic() > deadline:
            tail = proc.log.read_text(errors="replace")[-1500:]
            raise SystemExit(f"soak: {proc.name} did not start ({url}):\n{tail}")
        time.sleep(0.3)


# --- the store ---------------------------------------------------------------------------------


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A fresh schema on the server at `url`, dropped afterwards: yields its name."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from broker.db import make_engine

    if not url.startswith("postgresql"):
        raise Refused(f"soak: needs PostgreSQL, not {url.split(':')[0]}")
    schema = f"lk_soak_{os.getpid()}_{secrets.token_hex(3)}"
    admin = make_engine(url, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
        raise Refused(
            f"soak: PostgreSQL is not reachable at {url.split('@')[-1]} ({reason}); "
            "set LATCHKEY_TEST_POSTGRES_URL or pass --database-url"
        ) from None
    try:
        yield schema
    finally:
        for attempt in range(3):  # a connection cut under the pool (a server restart) is retried
            try:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                break
            except OperationalError:
                admin.dispose()
                if attempt == 2:
                    raise
        admin.dispose()


def schema_url(url: str, schema: str) -> str:
    """The URL every process uses: the schema first on the search path (libpq `options`)."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


# --- the world ---------------------------------------------------------------------------------


@dataclass
class Person:
    login: str
    okta_id: str
    member_id: str
    scim_id: str
    active: bool = True


@dataclass
class World:
    workspace_id: str
    owner_token: str  # the Owner's personal admin-API token
    scim_token: str
    launchers: list[dict[str, str]]  # for the load generator: account, cookie, credential, key
    people: list[Person]
    groups: dict[str, set[str]]  # Okta group id -> its members' Okta ids
    teams: dict[str, str]  # Okta group id -> team id
    accounts: list[str]  # extended accounts whose shares change
    shares: set[tuple[str, str, str]]  # (account id, "member_id" | "team_id", subject id)
    login_url: str
    owner_okta_id: str
    fixed: dict[str, str]  # each launcher's account -> the launcher's Okta id (never changed)
    pushed: dict[str, set[str]]  # Okta group id -> the members Okta last pushed (the team)
    initial_accounts: frozenset[str] = frozenset()


def expected_assignments(world: World) -> dict[str, set[str]]:
    """Who must be assigned to each extended account's app, from the soak's own record of what it
    changed (not the broker's): the Owner; the launcher; the people shared with directly; the
    members of each team shared with, as Okta last pushed it; only those active in Okta."""
    active = {p.okta_id for p in world.people if p.active}
    okta_id = {p.member_id: p.okta_id for p in world.people}
    group_of = {team: group for group, team in world.teams.items()}
    want = {account: {world.owner_okta_id, who} for account, who in world.fixed.items()}
    want |= {account: {world.owner_okta_id} for account in world.accounts}
    for account, kind, subject in world.shares:
        held = {okta_id[subject]} if kind == "member_id" else world.pushed[group_of[subject]]
        want[account] |= held & active
    return want


def model_mismatches(world: World, broker_url: str, org_url: str) -> list[str]:
    """Each account whose Okta app's assignments differ from `expected_assignments`."""
    from tests.reliability.in_step import apps_in_control_state

    by_url = {app.url: app for app in apps_in_control_state(org_state(org_url))}
    wrong = []
    for account, want in expected_assignments(world).items():
        app = by_url.get(f"{broker_url.rstrip('/')}/launch/{account}")
        has = set(app.user_ids) if app is not None else set()
        if has != want:
            wrong.append(
                f"account {account}: the soak's changes want {len(want)} people assigned, "
                f"Okta has {len(has)} ({len(want - has)} missing, {len(has - want)} too many)"
            )
    return wrong


class Org:
    """The sandbox's control plane (`/_sandbox`): an admin in Okta's Admin Console."""

    def __init__(self, url: str) -> None:
        self.url = url

    def call(self, method: str, path: str, body: object | None = None) -> Any:
        answer = httpx.request(method, f"{self.url}/_sandbox{path}", json=body, timeout=60)
        if answer.status_code >= 400:
            raise SystemExit(f"soak: setup: {method} /_sandbox{path}: {answer.status_code}")
        return answer.json() if answer.content else None


def settings_of(env: dict[str, str]) -> Any:
    from broker.settings import Settings

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return Settings.from_env()
    finally:
        os.environ.clear()
        os.environ.update(saved)


class Store:
    """The broker's database as the setup and the checks see it (the broker's own code)."""

    def __init__(self, env: dict[str, str]) -> None:
        from broker.db import make_engine, make_session_factory
        from broker.keyring import load_keyring
        from broker.vault import Vault

        self.settings = settings_of(env)
        self.engine = make_engine(self.settings.database_url)
        self.sessions = make_session_factory(self.engine)
        self.vault = Vault(load_keyring(self.settings))

    def close(self) -> None:
        self.engine.dispose()

    def member_id(self, okta_id: str) -> str:
        from sqlalchemy import select

        from broker.models import Member

        with self.sessions() as db:
            found = db.scalar(select(Member.id).where(Member.external_id == okta_id))
        if found is None:
            raise SystemExit(f"soak: SCIM did not provision Okta user {okta_id}")
        return found

    def team_id(self, scim_id: str) -> str:
        from sqlalchemy import select

        from broker.models import Team

        with self.sessions() as db:
            found = db.scalar(select(Team.id).where(Team.scim_id == scim_id))
        if found is None:
            raise SystemExit(f"soak: the Okta group {scim_id} was not pushed as a team")
        return found

    def queued(self) -> int:
        from sqlalchemy import func, select

        from broker.models import SyncOutbox

        with self.sessions() as db:
            return db.scalar(select(func.count()).select_from(SyncOutbox)) or 0


def migrate(url: str) -> None:
    from broker.db import make_engine
    from broker.migrate import upgrade

    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def make_workspace(store: Store, org_url: str, api_token: str, owner: dict[str, str]) -> str:
    from broker.db import transaction
    from broker.models import WorkspaceRole
    from broker.services import members, workspaces

    with transaction(store.sessions) as db:
        workspace = workspaces.create_workspace(db, WORKSPACE)
        workspaces.set_okta_domain(db, workspace.id, org_url)
        workspaces.set_okta_token(db, workspace.id, api_token, vault=store.vault)
        workspaces.set_extended_access(db, workspace.id, True)
        members.add_member(
            db,
            workspace.id,
            owner["login"],
            name="Soak Owner",
            role=WorkspaceRole.OWNER,
            external_id=owner["id"],
        )
        return workspace.id


def new_org_user(org: Org, login: str, first: str, last: str) -> dict[str, str]:
    made: dict[str, str] = org.call(
        "POST", "/users", {"login": login, "email": login, "firstName": first, "lastName": last}
    )
    return made


def provision(org: Org, store: Store, login: str, first: str, last: str) -> Person:
    """An Okta user, made in the org and pushed to the broker by the org's SCIM client."""
    user = new_org_user(org, login, first, last)
    pushed = org.call("POST", f"/scim/users/{login}/push")
    return Person(login, user["id"], store.member_id(user["id"]), pushed["scimId"])


def build_world(
    plan: Plan, org: Org, store: Store, api_token: str, broker1: str, sites_url: str
) -> World:
    """Everything the soak starts from, made through the org's control plane and SCIM client and
    the broker's own code: the Owner, the launchers and the people, the teams, the accounts."""
    from bench.launch_load import register_extension
    from broker import sessions as broker_sessions
    from broker.db import transaction
    from broker.models import ItemRole, Member
    from broker.services import accounts, extensions, shares, tokens
    from broker.services.shares import Subject, Target

    rng = random.Random(plan.seed)
    owner = new_org_user(org, "soak-owner@example.com", "Soak", "Owner")
    workspace_id = make_workspace(store, org.url, api_token, owner)
    scim_token = store.settings.scim_token.reveal()
    org.call("PUT", "/scim/target", {"url": broker1 + SCIM, "token": scim_token})
    launchers = [
        provision(org, store, f"soak-launch-{n}@example.com", "Launch", str(n))
        for n in range(plan.launchers)
    ]
    people = [
        provision(org, store, f"soak-person-{n}@example.com", "Person", str(n))
        for n in range(plan.people)
    ]
    groups: dict[str, set[str]] = {}
    teams: dict[str, str] = {}
    pushed_members: dict[str, set[str]] = {}
    for n in range(plan.groups):
        chosen = rng.sample(people, k=min(3, len(people)))
        group = org.call(
            "POST", "/groups", {"name": f"Soak team {n}", "members": [p.okta_id for p in chosen]}
        )
        pushed = org.call("POST", f"/scim/groups/{group['id']}/push")
        groups[group["id"]] = {p.okta_id for p in chosen}
        pushed_members[group["id"]] = set(pushed["members"])
        teams[group["id"]] = store.team_id(pushed["scimId"])
    login_url = sites_url.rstrip("/") + "/totp/login"
    made: list[dict[str, str]] = []
    fixed: dict[str, str] = {}
    churned: list[str] = []
    shared: set[tuple[str, str, str]] = set()
    with transaction(store.sessions) as db:
        owner_member = db.get_one(Member, store.member_id(owner["id"]))

        def account(name: str) -> str:
            made_account = accounts.create_account(
                db,
                workspace_id,
                accounts.AccountInput(
                    name=name,
                    app_name="Soak",
                    login_url=login_url,
                    username=name.lower().replace(" ", "-"),
                    password=secrets.token_urlsafe(12),
                    totp_secret=TOTP_SECRET,
                ),
                vault=store.vault,
            )
            target = Target(account_id=made_account.id)
            shares.share(
                db, workspace_id, Subject(member_id=owner_member.id), target, ItemRole.OWNER
            )
            extensions.extend_account(db, owner_member, made_account.id)
            return made_account.id

        for n, person in enumerate(launchers):
            account_id = account(f"Launch {n}")
            fixed[account_id] = person.okta_id
            target = Target(account_id=account_id)
            subject = Subject(member_id=person.member_id)
            shares.share(db, workspace_id, subject, target, ItemRole.COLLABORATOR)
            member = db.get_one(Member, person.member_id)
            cookie, row = broker_sessions.open_session(db, member.id, ttl_s=8 * 3600)
            credential, pem = register_extension(db, member, row.id, store.settings.broker_url)
            made.append(
                {
                    "account_id": account_id,
                    "cookie": cookie,
                    "credential": credential,
                    "key_pem": pem,
                }
            )
        team_ids = list(teams.values())
        for n in range(plan.accounts):
            account_id = account(f"Shared {n}")
            churned.append(account_id)
            team_id = team_ids[n % len(team_ids)] if team_ids else None
            if team_id is not None:
                target = Target(account_id=account_id)
                shares.share(
                    db, workspace_id, Subject(team_id=team_id), target, ItemRole.COLLABORATOR
                )
                shared.add((account_id, "team_id", team_id))
        issued = tokens.issue(db, owner_member, "soak")
    return World(
        workspace_id=workspace_id,
        owner_token=issued.token,
        scim_token=scim_token,
        launchers=made,
        people=people,
        groups=groups,
        teams=teams,
        accounts=churned,
        shares=shared,
        login_url=login_url,
        owner_okta_id=owner["id"],
        fixed=fixed,
        pushed=pushed_members,
        initial_accounts=frozenset(churned),
    )


# --- the changes -------------------------------------------------------------------------------


@dataclass
class Tally:
    launches: int = 0
    scim_changes: int = 0
    share_changes: int = 0
    errors: list[str] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)


class Changes:
    """SCIM changes (Okta's SCIM client, and direct SCIM calls) and share changes (the admin API),
    made one at a time from one event loop, so the model of who holds what stays exact."""

    def __init__(
        self,
        plan: Plan,
        world: World,
        store: Store,
        client: httpx.AsyncClient,
        org_url: str,
        brokers: list[str],
    ) -> None:
        self.plan = plan
        self.world = world
        self.store = store
        self.client = client
        self.org_url = org_url
        self.brokers = brokers
        self.rng = random.Random(plan.seed + 1)
        self.tally = Tally()
        self.made = 0

    async def _call(
        self, method: str, url: str, expect: tuple[int, ...], **kwargs: Any
    ) -> dict[str, Any] | None:
        what = f"{method} {httpx.URL(url).path}"
        try:
            answer = await self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.tally.errors.append(f"{what}: {exc!r}")
            return None
        if answer.status_code not in expect:
            self.tally.errors.append(f"{what}: {answer.status_code} {answer.text[:200]}")
            return None
        data = answer.json() if answer.content else {}
        return data if isinstance(data, dict) else {}

    async def _control(self, method: str, path: str, body: object | None = None) -> Any:
        expect = (200, 201, 204)
        return await self._call(method, f"{self.org_url}/_sandbox{path}", expect, json=body)

    def _admin(self) -> tuple[str, dict[str, str]]:
        broker = self.brokers[self.tally.share_changes % len(self.brokers)]
        return broker + ADMIN, {"Authorization": f"Bearer {self.world.owner_token}"}

    # SCIM

    async def scim_change(self) -> None:
        people = self.world.people
        active = [p for p in people if p.active]
        inactive = [p for p in people if not p.active]
        choices = ["create", "update", "membership", "membership"]
        choices += ["deactivate"] if len(active) > 3 else []
        choices += ["activate"] if inactive else []
        kind = self.rng.choice(choices)
        done = False
        if kind == "create":
            self.made += 1
            login = f"soak-new-{self.made}@example.com"
            user = await self._control(
                "POST", "/users", {"login": login, "email": login, "firstName": "New"}
            )
            pushed = user and await self._control("POST", f"/scim/users/{login}/push")
            if user and pushed:
                member_id = await asyncio.to_thread(self.store.member_id, user["id"])
                people.append(Person(login, user["id"], member_id, pushed["scimId"]))
                done = True
        elif kind == "update":
            done = await self._rename(self.rng.choice(people))
        elif kind == "membership":
            done = await self._membership()
        else:
            person = self.rng.choice(active if kind == "deactivate" else inactive)
            answer = await self._control("POST", f"/scim/users/{person.login}/{kind}")
            if answer is not None:
                person.active = kind == "activate"
                done = True
        if done:
            self.tally.scim_changes += 1
            self.tally.kinds[f"scim {kind}"] += 1

    async def _rename(self, person: Person) -> bool:
        """A direct SCIM `PUT` (RFC 7644 §3.5.1) to broker 2: the person's name changes."""
        from sandbox.org.scim_client import SCIM_JSON_UTF8, user_body
        from sandbox.org.state import OrgUser

        suffix = secrets.token_hex(3)
        user = OrgUser(person.okta_id, person.login, person.login, "Renamed", suffix)
        body = user_body(user, active=person.active, scim_id=person.scim_id)
        url = f"{self.brokers[-1]}{SCIM}/Users/{person.scim_id}"
        headers = {
            "Authorization": f"Bearer {self.world.scim_token}",
            "Content-Type": SCIM_JSON_UTF8,
        }
        return (
            await self._call("PUT", url, (200,), content=json.dumps(body), headers=headers)
            is not None
        )

    async def _membership(self) -> bool:
        """An Okta group gains or loses a person, and Okta pushes the group (a team) again."""
        if not self.world.groups:
            return False
        group_id = self.rng.choice(sorted(self.world.groups))
        person = self.rng.choice(self.world.people)
        members = self.world.groups[group_id]
        method = "DELETE" if person.okta_id in members else "PUT"
        if await self._control(method, f"/groups/{group_id}/users/{person.okta_id}") is None:
            return False
        if method == "PUT":
            members.add(person.okta_id)
        else:
            members.discard(person.okta_id)
        pushed = await self._control("POST", f"/scim/groups/{group_id}/push")
        if pushed is None:
            return False
        self.world.pushed[group_id] = set(pushed["members"])
        return True

    # shares

    async def share_change(self) -> None:
        roll = self.rng.random()
        added = [a for a in self.world.accounts if a not in self.world.initial_accounts]
        if roll < 0.06:
            kind, done = "account added and extended", await self._add_account()
        elif roll < 0.10 and added:
            kind, done = "account deleted", await self._delete_account(self.rng.choice(added))
        elif roll < 0.55 or not self.world.shares:
            kind, done = "share", await self._share()
        else:
            kind, done = "unshare", await self._unshare()
        if done:
            self.tally.share_changes += 1
            self.tally.kinds[kind] += 1

    async def _share(self) -> bool:
        account_id = self.rng.choice(self.world.accounts)
        if self.rng.random() < 0.3 and self.world.teams:
            kind, subject = "team_id", self.rng.choice(sorted(self.world.teams.values()))
        else:
            active = [p for p in self.world.people if p.active]
            kind, subject = "member_id", self.rng.choice(active).member_id
        if (account_id, kind, subject) in self.world.shares:
            return await self._unshare((account_id, kind, subject))
        base, headers = self._admin()
        body = {"account_id": account_id, kind: subject, "role": "collaborator"}
        if await self._call("PUT", f"{base}/shares", (200,), json=body, headers=headers) is None:
            return False
        self.world.shares.add((account_id, kind, subject))
        return True

    async def _unshare(self, share: tuple[str, str, str] | None = None) -> bool:
        if share is None:
            share = self.rng.choice(sorted(self.world.shares))
        account_id, kind, subject = share
        base, headers = self._admin()
        query = {"account_id": account_id, kind: subject}
        answer = await self._call("DELETE", f"{base}/shares", (200,), params=query, headers=headers)
        if answer is None:
            return False
        self.world.shares.discard(share)
        return True

    async def _add_account(self) -> bool:
        base, headers = self._admin()
        self.made += 1
        body = {
            "name": f"Added {self.made}",
            "app_name": "Soak",
            "login_url": self.world.login_url,
            "username": f"added-{self.made}",
            "password": secrets.token_urlsafe(12),
            "totp_secret": TOTP_SECRET,
        }
        made = await self._call("POST", f"{base}/accounts", (201,), json=body, headers=headers)
        if made is None:
            return False
        account_id = str(made["account"]["id"])
        extended = await self._call(
            "POST", f"{base}/accounts/{account_id}/extension", (201,), headers=headers
        )
        if extended is None:
            return False
        self.world.accounts.append(account_id)
        return True

    async def _delete_account(self, account_id: str) -> bool:
        base, headers = self._admin()
        if (
            await self._call("DELETE", f"{base}/accounts/{account_id}", (200,), headers=headers)
            is None
        ):
            return False
        self.world.accounts.remove(account_id)
        self.world.shares = {s for s in self.world.shares if s[0] != account_id}
        return True


async def change_loop(changes: Changes, seconds: float) -> None:
    """Share changes every `share_every` s and SCIM changes every `scim_every` s, until the end."""
    began = time.monotonic()
    next_share = began + changes.rng.uniform(0, changes.plan.share_every)
    next_scim = began + changes.rng.uniform(0, changes.plan.scim_every)
    while True:
        now = time.monotonic()
        if now - began >= seconds:
            return
        if now >= next_share:
            await changes.share_change()
            next_share += changes.plan.share_every
        if now >= next_scim:
            await changes.scim_change()
            next_scim += changes.plan.scim_every
        await asyncio.sleep(max(0.0, min(next_share, next_scim) - time.monotonic()))


# --- the load generator (a process of its own) -------------------------------------------------


async def _launches(job: dict[str, Any]) -> dict[str, Any]:
    from bench.launch_load import Launcher, LaunchFailed

    people = json.loads(Path(job["people_file"]).read_text())
    brokers: list[str] = job["brokers"]
    rate, seconds = float(job["rate"]), float(job["seconds"])
    outcomes: Counter[str] = Counter()
    first_errors: list[str] = []
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=60, limits=CLIENT_LIMITS) as client:
        launchers = [
            Launcher(
                client,
                brokers[n % len(brokers)],
                person,
                public=job["public"],
                redeem_base=brokers[(n + 1) % len(brokers)],
            )
            for n, person in enumerate(people * len(brokers))
        ]
        began = time.monotonic()
        tasks = []

        async def one(launcher: Launcher, scheduled: float) -> None:
            try:
                await launcher.launch()
                outcomes["ok"] += 1
                latencies.append(time.monotonic() - scheduled)
            except LaunchFailed as exc:
                outcomes[f"{exc.step} {exc.status}"] += 1
                if len(first_errors) < 5:
                    first_errors.append(str(exc))
            except httpx.HTTPError as exc:
                outcomes[f"transport {type(exc).__name__}"] += 1
                if len(first_errors) < 5:
                    first_errors.append(repr(exc))

        for n in range(int(seconds * rate)):
            scheduled = began + n / rate
            await asyncio.sleep(max(0.0, scheduled - time.monotonic()))
            tasks.append(asyncio.create_task(one(launchers[n % len(launchers)], scheduled)))
            tasks = [t for t in tasks if not t.done()]
        await asyncio.gather(*tasks)
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return (
            round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1)
            if ordered
            else 0.0
        )

    return {
        "outcomes": dict(outcomes),
        "first_errors": first_errors,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "rss_kb": rss_kb(os.getpid()),
    }


def generate(job_file: str) -> None:
    print(json.dumps(asyncio.run(_launches(json.loads(Path(job_file).read_text())))))


# --- the run -----------------------------------------------------------------------------------


def org_state(org_url: str) -> dict[str, Any]:
    answer = httpx.get(f"{org_url}/_sandbox/state", timeout=60)
    answer.raise_for_status()
    state: dict[str, Any] = answer.json()
    return state


def wrong_now(store: Store, world: World, org_url: str) -> list[str]:
    from tests.reliability.in_step import apps_in_control_state, out_of_step

    apps = apps_in_control_state(org_state(org_url))
    with store.sessions() as db:
        return out_of_step(db, world.workspace_id, store.settings.broker_url, apps)


def duplicates_in(org_url: str) -> set[str]:
    from tests.reliability.in_step import apps_in_control_state

    urls = [app.url for app in apps_in_control_state(org_state(org_url))]
    return {url for url in urls if urls.count(url) > 1}


def settle(
    store: Store, world: World, org_url: str, seconds: float, procs: Processes
) -> tuple[list[str], float]:
    """Wait until Okta is exactly in step (outbox empty), or `seconds`; what is still wrong."""
    began = time.monotonic()
    while True:
        procs.check_alive()
        wrong = wrong_now(store, world, org_url)
        if not wrong or time.monotonic() - began > seconds:
            return wrong, time.monotonic() - began
        time.sleep(2.0)


def broker_statuses(broker: str) -> Counter[str]:
    """The broker's own count of answers by handler and status (its Prometheus /metrics)."""
    counted: Counter[str] = Counter()
    for line in httpx.get(f"{broker}/metrics", timeout=30).text.splitlines():
        found = _METRIC.match(line)
        if found is None:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', found.group("labels")))
        counted[f"{labels.get('method')} {labels.get('handler')} {labels.get('status')}"] += int(
            float(found.group("value"))
        )
    return counted


def okta_calls(org_url: str) -> dict[str, dict[str, int]]:
    answer: dict[str, dict[str, int]] = httpx.get(f"{org_url}/_sandbox/calls", timeout=30).json()
    return answer


Probe = Callable[[Store, World, str], None]


def soak(
    plan: Plan,
    database_url: str,
    *,
    logs: Path | None = None,
    say: Callable[[str], None] = print,
    probe: Probe | None = None,
) -> dict[str, Any]:
    """The whole soak; returns the summary (the JSON line's object, and details beside it).

    `probe(store, world, org_url)` runs once sync has settled, before the stack stops."""
    from sandbox.seed import BROKER_CLIENT

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lk-soak-")))
        schema = stack.enter_context(postgres_schema(database_url))
        migrate(schema_url(database_url, schema))
        org_port, sites_port = free_port(), free_port()
        ports = [free_port(), free_port()]
        brokers = [f"http://127.0.0.1:{p}" for p in ports]
        org_url = f"http://127.0.0.1:{org_port}"
        api_token = "00" + secrets.token_urlsafe(30)
        env = {
            "LATCHKEY_DATA_DIR": str(tmp),
            "LATCHKEY_DATABASE_URL": schema_url(database_url, schema),
            "LATCHKEY_MASTER_KEYS": "soak:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "LATCHKEY_WORKSPACE": WORKSPACE,
            "LATCHKEY_EXTENSION_ORIGINS": "chrome-extension://abcdefghijklmnopabcdefghijklmnop",
            # Both brokers serve one public URL, as behind a reverse proxy: broker 1's address.
            "LATCHKEY_BROKER_URL": brokers[0],
            "LATCHKEY_OIDC_ISSUER": org_url,
            "LATCHKEY_OIDC_CLIENT_ID": BROKER_CLIENT.client_id,
            "LATCHKEY_OIDC_CLIENT_SECRET": BROKER_CLIENT.client_secret,
            "LATCHKEY_SCIM_TOKEN": secrets.token_urlsafe(32),
            "LATCHKEY_SANDBOX_API_TOKEN": api_token,
        }
        if logs is not None:
            logs.mkdir(parents=True, exist_ok=True)
        procs = Processes(stack, logs or tmp, env)
        store = Store(env)
        stack.callback(store.close)
        started = time.monotonic()
        sandbox = procs.start(
            "sandbox",
            "sandbox",
            "--org-port",
            str(org_port),
            "--apps-port",
            str(sites_port),
            "--sites-file",
            str(tmp / "no-sites.json"),
        )
        wait_for(f"{org_url}/_sandbox/state", sandbox)
        org = Org(org_url)
        for n, port in enumerate(ports, 1):
            broker = procs.start(
                f"broker{n}", "serve", "--port", str(port), "--log-level", "warning"
            )
            wait_for(f"{brokers[n - 1]}/healthz", broker)
        world = build_world(
            plan, org, store, api_token, brokers[0], f"http://127.0.0.1:{sites_port}"
        )
        for n in (1, 2):
            procs.start(
                f"worker{n}", "worker", "--poll-interval", "0.5", "--full-pass-interval", "0"
            )
        say(
            f"stack up in {time.monotonic() - started:.0f} s: sandbox, 2 brokers, 2 workers on "
            f"PostgreSQL (schema {schema}); {plan.launchers} launchers, "
            f"{plan.accounts + plan.launchers} extended accounts, {plan.people} people, "
            f"{plan.groups} teams"
        )
        wrong, took = settle(store, world, org_url, plan.settle_s, procs)
        if wrong:
            raise SystemExit(f"soak: the first sync did not settle in {took:.0f} s: {wrong[:5]}")
        say(f"first sync settled in {took:.0f} s (Okta's Workforce rate limits)")
        first_sync = okta_calls(org_url)
        httpx.delete(f"{org_url}/_sandbox/calls", timeout=30)  # count the soak's calls only

        people_file = tmp / "launchers.json"  # sessions and keys: deleted with `tmp`
        people_file.write_text(json.dumps(world.launchers))
        seconds = plan.minutes * 60
        job_file = tmp / "job.json"
        job_file.write_text(
            json.dumps(
                {
                    "people_file": str(people_file),
                    "brokers": brokers,
                    "public": brokers[0],
                    "rate": plan.rate,
                    "seconds": seconds,
                }
            )
        )
        rss_before = procs.rss()
        generator_log = (procs.logs / "generator.log").open("wb")
        stack.callback(generator_log.close)
        generator = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "bench.soak", "--generate", str(job_file)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=generator_log,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        say(
            f"load for {plan.minutes:g} min: {plan.rate:g} launches/s, a share change every "
            f"{plan.share_every:g} s, a SCIM change every {plan.scim_every:g} s"
        )
        samples: list[tuple[float, dict[str, int]]] = []
        duplicates: set[str] = set()

        async def run_changes() -> Changes:
            async with httpx.AsyncClient(timeout=60, limits=CLIENT_LIMITS) as client:
                changes = Changes(plan, world, store, client, org_url, brokers)
                loop = asyncio.create_task(change_loop(changes, seconds))
                began = time.monotonic()
                warm = min(plan.warmup_s, seconds / 4)
                next_sample = began + warm
                while not loop.done():
                    await asyncio.sleep(1.0)
                    duplicates.update(await asyncio.to_thread(duplicates_in, org_url))
                    if time.monotonic() >= next_sample:
                        rss = procs.rss()
                        rss["generator"] = rss_kb(generator.pid)
                        samples.append((time.monotonic() - began, rss))
                        next_sample += 30.0
                await loop
                return changes

        changes = asyncio.run(run_changes())
        out, _ = generator.communicate(timeout=seconds + 120)
        if generator.returncode != 0:
            tail = (procs.logs / "generator.log").read_text()[-2000:]
            raise SystemExit(f"soak: the load generator failed:\n{tail}")
        launched = json.loads(out.decode().strip().splitlines()[-1])
        rss_load_end = procs.rss()
        say(f"load done; {store.queued()} accounts queued for sync; waiting for sync to settle")

        wrong, settle_s = settle(store, world, org_url, plan.settle_s, procs)
        duplicates.update(duplicates_in(org_url))
        unlike_model = model_mismatches(world, store.settings.broker_url, org_url)
        if probe is not None:
            probe(store, world, org_url)
        rss_end = procs.rss()
        rss_end["generator"] = launched["rss_kb"]
        calls = okta_calls(org_url)
        statuses: Counter[str] = Counter()
        for base in brokers:
            statuses.update(broker_statuses(base))
        dead = procs.dead()
        problems = {p.name: p.problems() for p in procs.all}
        tracebacks = {name: found for name, (found, _) in problems.items()}
        warnings = {name: count for name, (_, count) in problems.items() if count}

    tally = changes.tally
    tally.launches = launched["outcomes"].get("ok", 0)
    failed_launches = {k: v for k, v in launched["outcomes"].items() if k != "ok"}
    refused = {k: v for k, v in statuses.items() if int(k.rsplit(" ", 1)[1]) >= 400}
    errors = (
        sum(failed_launches.values())
        + len(tally.errors)
        + sum(refused.values())
        + sum(len(t) for t in tracebacks.values())
        + len(dead)
    )
    lost = sorted({line.split(":")[0] for line in [*wrong, *unlike_model]})
    start_rss = samples[0][1] if samples else rss_before
    growth = {
        name: round(100.0 * (rss_end.get(name, 0) - kb) / kb, 1) if kb else None
        for name, kb in start_rss.items()
    }
    throttled = sum(c.get("throttled", 0) for c in calls.values())
    okta_total = sum(c.get("calls", 0) for c in calls.values())
    summary: dict[str, Any] = {
        "minutes": plan.minutes,
        "launches": tally.launches,
        "scim_changes": tally.scim_changes,
        "share_changes": tally.share_changes,
        "errors": errors,
        "lost_outbox_rows": len(lost),
        "duplicate_apps": len(duplicates),
        "okta_429s": throttled,
        "okta_calls": okta_total,
        "settle_s": round(settle_s, 1),
        "first_sync_okta_429s": sum(c.get("throttled", 0) for c in first_sync.values()),
        "rss_growth_pct": growth,
    }
    details = {
        "kinds": dict(tally.kinds),
        "launch_p50_ms": launched["p50_ms"],
        "launch_p99_ms": launched["p99_ms"],
        "failed_launches": failed_launches,
        "launch_errors": launched["first_errors"],
        "change_errors": tally.errors[:10],
        "refused_by_brokers": refused,
        "tracebacks": {k: v[:5] for k, v in tracebacks.items() if v},
        "log_warnings": warnings,
        "dead": dead,
        "still_wrong": wrong[:10],
        "unlike_the_soaks_record": unlike_model[:10],
        "duplicates": sorted(duplicates)[:10],
        "okta_calls_by_bucket": calls,
        "first_sync_okta_calls_by_bucket": first_sync,
        "rss_kb": {
            "before_load": rss_before,
            "samples": samples,
            "load_end": rss_load_end,
            "end": rss_end,
        },
    }
    return {"summary": summary, "details": details}


def report(result: dict[str, Any], say: Callable[[str], None] = print) -> None:
    summary, details = result["summary"], result["details"]
    say(
        f"launches {summary['launches']} (p50 {details['launch_p50_ms']} ms, p99 "
        f"{details['launch_p99_ms']} ms from schedule), failed {details['failed_launches'] or 0}"
    )
    say(f"changes: {json.dumps(details['kinds'], sort_keys=True)}")
    say(
        f"Okta: {summary['okta_calls']} calls, {summary['okta_429s']} answered 429 "
        f"{json.dumps(details['okta_calls_by_bucket'], sort_keys=True)}"
    )
    say(
        f"sync settled {summary['settle_s']} s after the load; "
        f"still wrong: {details['still_wrong'] or 'nothing'}"
    )
    for key in (
        "launch_errors",
        "change_errors",
        "refused_by_brokers",
        "tracebacks",
        "dead",
        "unlike_the_soaks_record",
        "duplicates",
        "log_warnings",
    ):
        if details[key]:
            say(f"{key}: {details[key]}")
    say(
        f"first sync: Okta {json.dumps(details['first_sync_okta_calls_by_bucket'], sort_keys=True)}"
    )
    rss = details["rss_kb"]
    start = rss["samples"][0][1] if rss["samples"] else rss["before_load"]
    say("RSS (MB)       before load   start (after warm-up)   end    growth")
    for name, kb in start.items():
        say(
            f"  {name:<12} {rss['before_load'].get(name, 0) / 1024:9.1f}   {kb / 1024:18.1f}   "
            f"{rss['end'].get(name, 0) / 1024:7.1f}   {summary['rss_growth_pct'][name]:+.1f} %"
        )
    times = " ".join(f"{at:5.0f}" for at, _ in rss["samples"])
    say(f"RSS (MB) every 30 s of load, from {times} s:")
    for name in start:
        series = " ".join(f"{sample.get(name, 0) / 1024:5.1f}" for _, sample in rss["samples"])
        say(f"  {name:<12} {series}")
    print(json.dumps(summary))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true", help="one minute, to try it")
    parser.add_argument("--database-url", help="PostgreSQL (default: LATCHKEY_TEST_POSTGRES_URL)")
    parser.add_argument("--rate", type=float, default=Plan.rate, help="launches a second")
    parser.add_argument(
        "--share-every", type=float, default=Plan.share_every, help="seconds between share changes"
    )
    parser.add_argument(
        "--scim-every", type=float, default=Plan.scim_every, help="seconds between SCIM changes"
    )
    parser.add_argument("--logs", type=Path, help="keep each process's log in this directory")
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate:
        generate(args.generate)
        return 0
    # SIGTERM unwinds like Ctrl-C: the processes stop and the schema is dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    url = args.database_url or os.environ.get("LATCHKEY_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL
    plan = Plan(
        minutes=1.0 if args.quick else args.minutes,
        rate=args.rate,
        share_every=args.share_every,
        scim_every=args.scim_every,
        warmup_s=15.0 if args.quick else Plan.warmup_s,
    )
    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} "
        f"(shared with other work)"
    )
    try:
        result = soak(plan, url, logs=args.logs)
    except Refused as exc:
        print(exc, file=sys.stderr)
        return 2
    report(result)
    clean = result["summary"]["errors"] == 0 and result["summary"]["lost_outbox_rows"] == 0
    return 0 if clean and result["summary"]["duplicate_apps"] == 0 else 1


if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # the repository, not bench/ (whose sync.py would shadow `sync`)
    sys.exit(main())
