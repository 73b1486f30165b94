"""The accounts list at scale: one member who can see 5,000 accounts (direct shares, collections
nested 3 deep, a team), in a workspace of 10,000 accounts and 2,000 members.

It times `broker.actions.accounts.listing` (what `/accounts`, `/` and `GET /api/admin/v1/accounts`
run) for the first page, a page in the middle, the last page and a search, and compares each with
a floor measured in the same run on the same engine: one page of the same table read by name with
no access rule at all (`SELECT … FROM accounts ORDER BY lower(name) LIMIT 50`).

Target: p50 of every case <= 150 ms (p99 is printed too: on a shared machine it measures the
neighbours as much as the query). The last lines are JSON, one per engine, SQLite last.

    .venv/bin/python bench/accounts_list.py [--visible N --accounts N --samples N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.exc import OperationalError

from broker.actions import accounts
from broker.context import BrokerContext
from broker.db import Base, make_engine, make_session_factory, new_id
from broker.keyring import Keyring, new_master_key
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
from broker.settings import Settings
from broker.vault import Vault

POSTGRES_URL = os.environ.get(
    "LATCHKEY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TARGET_MS = 150.0
WORDS = ["Payroll", "GitHub", "Figma", "Vendor", "Billing", "Analytics", "Support", "Ads"]


def _insert(engine: Engine, table: type[Base], rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(table), rows[start : start + 5000])


def populate(engine: Engine, *, visible: int, total: int, members: int) -> tuple[str, str]:
    """(workspace id, the member's id): the member sees `visible` of `total` accounts."""
    Base.metadata.create_all(engine)
    ws = new_id()
    _insert(engine, Workspace, [{"id": ws, "name": f"bench-{ws}"}])
    people: list[dict[str, Any]] = [
        {
            "id": new_id(),
            "workspace_id": ws,
            "email": f"m{i}@x.example",
            "name": f"M {i}",
            "role": WorkspaceRole.USER.value,
            "active": True,
            "scim_id": new_id(),
        }
        for i in range(members)
    ]
    _insert(engine, Member, people)
    me = str(people[0]["id"])
    team = new_id()
    _insert(engine, Team, [{"id": team, "workspace_id": ws, "name": "T", "scim_id": new_id()}])
    _insert(engine, TeamMembership, [{"team_id": team, "member_id": me}])
    rows: list[dict[str, Any]] = [
        {
            "id": new_id(),
            "workspace_id": ws,
            "name": f"{WORDS[i % len(WORDS)]} {i:05d}",
            "app_name": WORDS[(i * 7) % len(WORDS)],
            "login_url": f"https://s{i}.example/login",
            "username": f"u{i}",
            "labels": [],
        }
        for i in range(total)
    ]
    _insert(engine, Account, rows)
    # Collections 3 deep: the member reaches a third of the visible accounts through the top one.
    top, middle, leaf = new_id(), new_id(), new_id()
    _insert(
        engine,
        Collection,
        [
            {"id": top, "workspace_id": ws, "name": "Top", "parent_id": None},
            {"id": middle, "workspace_id": ws, "name": "Middle", "parent_id": top},
            {"id": leaf, "workspace_id": ws, "name": "Leaf", "parent_id": middle},
        ],
    )
    third = visible // 3
    _insert(
        engine,
        CollectionItem,
        [{"collection_id": leaf, "account_id": r["id"]} for r in rows[:third]],
    )
    shares = [
        {
            "id": new_id(),
            "workspace_id": ws,
            "collection_id": top,
            "member_id": me,
            "role": ItemRole.COLLABORATOR.value,
        },
    ]
    shares += [
        {
            "id": new_id(),
            "workspace_id": ws,
            "account_id": r["id"],
            "team_id": team,
            "role": ItemRole.COLLABORATOR.value,
        }
        for r in rows[third : 2 * third]
    ]
    shares += [
        {
            "id": new_id(),
            "workspace_id": ws,
            "account_id": r["id"],
            "member_id": me,
            "role": ItemRole.OWNER.value,
        }
        for r in rows[2 * third : visible]
    ]
    # Everyone else shares the rest among themselves: rows the query must skip.
    shares += [
        {
            "id": new_id(),
            "workspace_id": ws,
            "account_id": r["id"],
            "member_id": people[1 + i % (members - 1)]["id"],
            "role": ItemRole.OWNER.value,
        }
        for i, r in enumerate(rows[visible:])
    ]
    keys = ("member_id", "team_id", "account_id", "collection_id")
    _insert(engine, Share, [{k: None for k in keys} | row for row in shares])
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))  # plans from real statistics, as a live database has
    return ws, me


def _time(samples: int, run: Callable[[], object]) -> list[float]:
    run()  # warm the statement cache and the engine's pages
    found = []
    for _ in range(samples):
        start = time.perf_counter()
        run()
        found.append((time.perf_counter() - start) * 1000)
    return found


def _stats(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
    }


def measure(engine: Engine, tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    _ws, me = populate(engine, visible=args.visible, total=args.accounts, members=args.members)
    settings = Settings(data_dir=tmp, database_url=str(engine.url), master_key_file=tmp / "k")
    ctx = BrokerContext(settings, make_session_factory(engine), Vault(Keyring([new_master_key()])))
    first = accounts.listing(ctx, me)
    assert first.total == args.visible, (first.total, args.visible)
    last_page = first.pages
    cases: dict[str, Callable[[], object]] = {
        "first_page": lambda: accounts.listing(ctx, me),
        "middle_page": lambda: accounts.listing(ctx, me, page=last_page // 2),
        "last_page": lambda: accounts.listing(ctx, me, page=last_page),
        "search": lambda: accounts.listing(ctx, me, query="vendor 0"),
    }
    sessions = make_session_factory(engine)

    def floor() -> object:
        with sessions() as s:
            return s.execute(
                select(Account.id, Account.name).order_by(func.lower(Account.name)).limit(50)
            ).all()

    floor_ms = _stats(_time(args.samples, floor))
    result: dict[str, Any] = {
        "engine": engine.dialect.name,
        "visible": args.visible,
        "accounts": args.accounts,
        "floor": floor_ms,
    }
    for name, run in cases.items():
        stats = _stats(_time(args.samples, run))
        stats["ratio_to_floor_p50"] = round(stats["p50_ms"] / max(floor_ms["p50_ms"], 0.01), 1)
        result[name] = stats
    result["ok"] = all(result[c]["p50_ms"] <= TARGET_MS for c in cases)
    return result


def _engines(tmp: Path) -> Iterator[Engine]:
    schema = f"bench_list_{os.getpid()}"
    probe = make_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with probe.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError:
        print("PostgreSQL not reachable: SQLite only", file=sys.stderr)
    else:
        engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
        try:
            yield engine
        finally:
            engine.dispose()
            with probe.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    probe.dispose()
    sqlite = make_engine(f"sqlite:///{tmp / 'bench.db'}")
    yield sqlite
    sqlite.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visible", type=int, default=5000)
    parser.add_argument("--accounts", type=int, default=10000)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    with TemporaryDirectory() as tmp:
        results = []
        for engine in _engines(Path(tmp)):
            result = measure(engine, Path(tmp), args)
            for case in ("floor", "first_page", "middle_page", "last_page", "search"):
                print(f"{result['engine']:10} {case:12} {result[case]}", file=sys.stderr)
            results.append(result)
        for result in results:
            print(json.dumps(result))


if __name__ == "__main__":
    main()
