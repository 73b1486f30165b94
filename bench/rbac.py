"""RBAC at scale: the effective-role check and the Okta assignment sets of every account.

A workspace of 10,000 members, 500 teams, 5,000 accounts, 100,000 shares and collections nested
5 deep is loaded into each engine (PostgreSQL when reachable, then SQLite). It measures:

- the effective-role check (`broker.rbac.effective_role`, the query behind every launch,
  redemption and code request) over random member x account pairs: p50 and p99, and the ratio to a
  primary-key lookup on the same engine in the same run (the floor of any query);
- the time to compute the assignment sets of all accounts (`broker.rbac.assignment_sets`, what a
  full sync pass needs).

Targets: p99 <= 2 ms; all sets <= 5 s. The last lines are JSON, one per engine, SQLite last.

    .venv/bin/python bench/rbac.py [--members N --accounts N --shares N --samples N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.exc import OperationalError

from broker import rbac
from broker.db import Base, make_engine, make_session_factory, new_id
from broker.models import (
    Account,
    Collection,
    CollectionItem,
    ItemRole,
    Member,
    Share,
    Team,
    TeamMembership,
    Workspace,
    WorkspaceRole,
)

POSTGRES_URL = os.environ.get(
    "LATCHKEY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DEPTH = 5
ROLES = [WorkspaceRole.USER] * 85 + [WorkspaceRole.ADMIN] * 5 + [WorkspaceRole.LOGIN_ONLY] * 10


def _rows(engine: Engine, table: type[Base], rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(table), rows[start : start + 5000])


def load(
    engine: Engine, args: argparse.Namespace, rng: random.Random
) -> tuple[str, list[str], list[str]]:
    """Bulk-load the workspace; returns (workspace id, member ids, account ids)."""
    ws = new_id()
    _rows(engine, Workspace, [{"id": ws, "name": "Bench", "extended_access_enabled": True}])
    member_ids = [new_id() for _ in range(args.members)]
    _rows(
        engine,
        Member,
        [
            {
                "id": mid,
                "workspace_id": ws,
                "email": f"m{i}@bench.test",
                "role": rng.choice(ROLES),
                "active": rng.random() > 0.02,
                "scim_id": new_id(),
                "external_id": f"00u{i:017d}" if rng.random() > 0.05 else None,
            }
            for i, mid in enumerate(member_ids)
        ],
    )
    team_ids = [new_id() for _ in range(args.members // 20)]
    _rows(
        engine,
        Team,
        [{"id": t, "workspace_id": ws, "name": f"team {t}", "scim_id": new_id()} for t in team_ids],
    )
    memberships = {(rng.choice(team_ids), m) for m in member_ids for _ in range(2)}
    _rows(engine, TeamMembership, [{"team_id": t, "member_id": m} for t, m in memberships])

    # Chains of DEPTH collections: root > level 2 > ... > level 5, with a few branches.
    collection_ids: list[str] = []
    rows: list[dict[str, Any]] = []
    for root in range(args.accounts // 25):
        parent = None
        for level in range(DEPTH):
            cid = new_id()
            rows.append(
                {"id": cid, "workspace_id": ws, "name": f"c{root}.{level}", "parent_id": parent}
            )
            collection_ids.append(cid)
            parent = cid
    _rows(engine, Collection, rows)

    account_ids = [new_id() for _ in range(args.accounts)]
    _rows(
        engine,
        Account,
        [
            {
                "id": aid,
                "workspace_id": ws,
                "name": f"account {i}",
                "app_name": "Bench",
                "login_url": "https://bench.example.com/login",
                "username": "bench",
                "labels": [],
            }
            for i, aid in enumerate(account_ids)
        ],
    )
    items = {(rng.choice(collection_ids), a) for a in account_ids if rng.random() < 0.8}
    _rows(engine, CollectionItem, [{"collection_id": c, "account_id": a} for c, a in items])

    seen: set[tuple[str, str]] = set()
    shares: list[dict[str, Any]] = []
    while len(shares) < args.shares:
        by_team = rng.random() < 0.1
        subject = rng.choice(team_ids) if by_team else rng.choice(member_ids)
        on_collection = rng.random() < 0.05
        target = rng.choice(collection_ids) if on_collection else rng.choice(account_ids)
        if (subject, target) in seen:
            continue
        seen.add((subject, target))
        shares.append(
            {
                "id": new_id(),
                "workspace_id": ws,
                "member_id": None if by_team else subject,
                "team_id": subject if by_team else None,
                "account_id": None if on_collection else target,
                "collection_id": target if on_collection else None,
                "role": rng.choice([ItemRole.OWNER, ItemRole.COLLABORATOR]),
            }
        )
    _rows(engine, Share, shares)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return ws, member_ids, account_ids


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(engine: Engine, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    started = time.perf_counter()
    ws, member_ids, account_ids = load(engine, args, rng)
    load_s = time.perf_counter() - started
    sessions = make_session_factory(engine)
    with sessions() as session:
        members = {m.id: rbac.MemberFacts.of(m) for m in session.query(Member).all()}
        pairs = [(rng.choice(member_ids), rng.choice(account_ids)) for _ in range(args.samples)]
        for member_id, account_id in pairs[:200]:  # warm the caches and the connection
            rbac.effective_role(session, members[member_id], account_id)
        check_ms, lookup_ms = [], []
        for member_id, account_id in pairs:
            t0 = time.perf_counter()
            rbac.effective_role(session, members[member_id], account_id)
            t1 = time.perf_counter()
            session.execute(text("SELECT id FROM members WHERE id = :id"), {"id": member_id}).all()
            t2 = time.perf_counter()
            check_ms.append((t1 - t0) * 1000)
            lookup_ms.append((t2 - t1) * 1000)
        t0 = time.perf_counter()
        sets = rbac.assignment_sets(session, ws)
        sets_s = time.perf_counter() - t0
    assigned = sum(len(s) for s in sets.values())
    return {
        "engine": engine.dialect.name,
        "p50_ms": round(statistics.median(check_ms), 3),
        "p99_ms": round(_percentile(check_ms, 0.99), 3),
        "assignment_sets_s": round(sets_s, 3),
        "p50_vs_pk_lookup": round(statistics.median(check_ms) / statistics.median(lookup_ms), 2),
        "load_s": round(load_s, 1),
        "assignments": assigned,
    }


@contextmanager
def postgres() -> Iterator[Engine | None]:
    schema = f"lk_bench_{secrets.token_hex(4)}"
    admin = make_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        print(f"PostgreSQL skipped: not reachable at {POSTGRES_URL.split('@')[-1]} ({exc.orig})")
        admin.dispose()
        yield None
        return
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        Base.metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def sqlite() -> Iterator[Engine]:
    with TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        Base.metadata.create_all(engine)
        try:
            yield engine
        finally:
            engine.dispose()


def report(result: dict[str, Any], args: argparse.Namespace) -> None:
    print(
        f"{result['engine']}: {args.members} members, {args.accounts} accounts, "
        f"{args.shares} shares, collections {DEPTH} deep (loaded in {result['load_s']} s)\n"
        f"  effective role: p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms "
        f"(target p99 <= 2 ms; p50 = {result['p50_vs_pk_lookup']} x a primary-key lookup)\n"
        f"  assignment sets of all {args.accounts} accounts: {result['assignment_sets_s']} s "
        f"({result['assignments']} assignments; target <= 5 s)",
        file=sys.stderr,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=5_000)
    parser.add_argument("--shares", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    lines = []
    with postgres() as engine:
        if engine is not None:
            result = measure(engine, args)
            report(result, args)
            lines.append(result)
    with sqlite() as engine:
        result = measure(engine, args)
        report(result, args)
        lines.append(result)
    for line in lines:
        print(json.dumps(line))


if __name__ == "__main__":
    main()
