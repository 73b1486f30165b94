"""Okta groups of pushed teams against one-by-one assignments, on the same workspace, same run.

A workspace of N accounts, each owned by a member of one of T pushed teams of S people and shared
with that team (the team's Okta group holds exactly its members, so every group is fit), is synced
from scratch to a sandbox org with Okta's Workforce buckets at a 50 % token share, twice: with
Okta groups off (one assignment per person and app) and on (one group assignment per app). Then,
in a fresh rate-limit window, one person joins team 0 (in Okta and over the push), which queues
the N / T accounts the team reaches, and the worker syncs them. Printed per mode: the calls per
bucket, Okta time at the bound (calls in each bucket divided by the token's budget a minute, the
largest), and the wall time; the last line is JSON:

    {"first_calls_ratio": individual calls / group calls for the first sync,
     "first_okta_minutes_groups": Okta minutes the group mode needs at the bound,
     "change_calls_groups": calls the membership change costs with groups (individual: its own),
     ...}

Both modes make the same app per account: the first sync's floor with groups is two `apps` calls
per account (create, assign the group), 80 minutes of Okta time for 2,000 accounts at a 50 %
share of Workforce's 100 a minute, whatever the strategy.

    .venv/bin/python -m bench.okta_groups [--accounts 200 --teams 5 --size 20 --scale 600]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from broker.db import Base, make_engine, make_session_factory, transaction
from broker.keyring import Keyring, new_master_key
from broker.models import ItemRole, SyncOutbox
from broker.services import extensions, members, teams, workspaces
from broker.vault import Vault
from sandbox.org.app import create_org_app
from sandbox.org.context import OrgContext
from sandbox.org.limits import DEFAULT_BUCKETS, org_clock, rate_limiter
from sandbox.org.state import OrgUser
from sync.clients import client_maker
from sync.okta import LimiterSettings
from sync.report import Tally
from sync.worker import Worker, WorkerSettings
from tests.broker.builders import World

BROKER = "http://127.0.0.1:8400"
ORG = "http://127.0.0.1:8410"  # never connected to: the transport is the org app itself
SHARE = 0.5


@dataclass(frozen=True)
class Mode:
    okta_groups: bool
    first: Tally
    first_wall_s: float
    change: Tally
    change_wall_s: float
    throttled: int

    @property
    def okta_minutes(self) -> float:
        return okta_minutes(self.first)


def okta_minutes(tally: Tally) -> float:
    budgets = {b.name: max(1, math.floor(b.limit * SHARE)) for b in DEFAULT_BUCKETS}
    return max((n / budgets[bucket] for bucket, n in tally.calls.items()), default=0.0)


async def _drain(worker: Worker, sessions: sessionmaker[Session]) -> tuple[Tally, float]:
    tally, started = Tally(), time.perf_counter()
    while True:
        with sessions() as session:
            if not session.scalar(select(func.count()).select_from(SyncOutbox)):
                break
        tally.add(await worker.run_due())
    return tally, time.perf_counter() - started


def run_mode(okta_groups: bool, n: int, t: int, size: int, scale: float) -> Mode:
    token = secrets.token_urlsafe(30)
    vault = Vault(Keyring([new_master_key()]))
    ctx = OrgContext(base_url=ORG, api_token=token)
    org_clock(ctx).set_scale(scale)
    with TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'latchkey.db'}")
        Base.metadata.create_all(engine)
        sessions = make_session_factory(engine)
        with transaction(sessions) as session:
            ws = workspaces.create_workspace(session, "Bench")
            workspaces.set_okta_domain(session, ws.id, ORG)
            workspaces.set_okta_token(session, ws.id, token, vault=vault)
            workspaces.set_extended_access(session, ws.id, True)
            world = World(session, vault, ws)
            squads = []
            for i in range(t):
                people = [world.member() for _ in range(size)]
                with ctx.state.locked() as state:
                    for p in people:
                        uid = p.external_id or ""
                        state.users[uid] = OrgUser(uid, p.email, p.email, "Bench", p.name)
                    group = state.add_group(f"Team {i}")
                    group.member_ids |= {p.external_id or "" for p in people}
                # As a push would leave it, with the group's id as the team's external id (a
                # team pushed by Okta itself has none: sync then finds the group by name).
                team = teams.create_team(session, ws.id, f"Team {i}", external_id=group.id)
                teams.add_members(session, ws.id, team.id, [p.id for p in people])
                squads.append((team, people))
            for k in range(n):
                team, people = squads[k % t]
                account = world.account()
                world.share(people[0], account, ItemRole.OWNER)
                world.share(team, account)
                extensions.extend_account(session, people[0], account.id)
        worker = Worker(
            sessions,
            vault,
            BROKER,
            make_client=client_maker(
                limiter_settings=LimiterSettings(share=SHARE, time_scale=scale, concurrency=20),
                transport=httpx.ASGITransport(create_org_app(ctx)),
            ),
            settings=dataclasses.replace(WorkerSettings(concurrency=64), okta_groups=okta_groups),
        )
        rate_limiter(ctx).reset()

        async def main() -> tuple[Tally, float, Tally, float]:
            try:
                first, first_wall = await _drain(worker, sessions)
                await asyncio.sleep(60.0 / scale)  # a fresh window
                with transaction(sessions) as session:
                    team, _ = squads[0]
                    newcomer = members.add_member(
                        session, ws.id, "newcomer@example.com", external_id="00unewcomer000000000"
                    )
                    with ctx.state.locked() as state:
                        uid = newcomer.external_id or ""
                        state.users[uid] = OrgUser(uid, newcomer.email, newcomer.email, "N", "N")
                        state.groups[team.external_id or ""].member_ids.add(uid)
                    teams.add_members(session, ws.id, team.id, [newcomer.id])
                change, change_wall = await _drain(worker, sessions)
                return first, first_wall, change, change_wall
            finally:
                await worker.aclose()

        first, first_wall, change, change_wall = asyncio.run(main())
        throttled = sum(c.throttled for c in rate_limiter(ctx).counts().values())
        engine.dispose()
    mode = Mode(okta_groups, first, first_wall, change, change_wall, throttled)
    name = "okta groups" if okta_groups else "one by one"
    print(
        f"{name:>11}: first sync {first.total_calls} calls {dict(sorted(first.calls.items()))},"
        f" {mode.okta_minutes:.1f} Okta minutes at the bound, wall {first_wall:.2f} s;"
        f" a membership change ({change.accounts} accounts): {change.total_calls} calls"
        f" {dict(sorted(change.calls.items()))}; 429s {throttled}; failed"
        f" {first.failed + change.failed}"
    )
    return mode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--teams", type=int, default=5)
    parser.add_argument("--size", type=int, default=20, help="people in each team")
    parser.add_argument("--scale", type=float, default=600.0, help="org seconds per real second")
    args = parser.parse_args(argv)
    print(
        f"{args.accounts} accounts shared with {args.teams} pushed teams of {args.size},"
        f" Workforce buckets at a {SHARE:.0%} token share, org clock x{args.scale:g}, in process"
    )
    individual = run_mode(False, args.accounts, args.teams, args.size, args.scale)
    groups = run_mode(True, args.accounts, args.teams, args.size, args.scale)
    result = {
        "first_calls_ratio": round(individual.first.total_calls / groups.first.total_calls, 3),
        "first_okta_minutes_ratio": round(individual.okta_minutes / groups.okta_minutes, 3),
        "first_okta_minutes_groups": round(groups.okta_minutes, 2),
        "first_wall_ratio": round(individual.first_wall_s / groups.first_wall_s, 3),
        "change_calls_individual": individual.change.total_calls,
        "change_calls_groups": groups.change.total_calls,
        "failed": individual.first.failed + groups.first.failed + groups.change.failed,
        "throttled": individual.throttled + groups.throttled,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
