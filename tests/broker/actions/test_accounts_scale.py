"""The accounts list at 5,000 visible accounts: one SQL statement per page, whatever the page or
the search (bench/accounts_list.py times it; this pins the shape that keeps it fast)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, insert

from broker.actions import accounts
from broker.context import BrokerContext
from broker.db import new_id
from broker.models import Account, Collection, CollectionItem, ItemRole, Share, WorkspaceRole
from tests.broker.actions.conftest import Builder

VISIBLE = 5000


@contextmanager
def statements(ctx: BrokerContext) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = ctx.sessions.kw["bind"]

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_page_of_5000_accounts_is_one_statement(ctx: BrokerContext, build: Builder) -> None:
    with build() as w:
        me = w.member(WorkspaceRole.USER)
        ws = w.workspace.id
    rows = [
        {
            "id": new_id(),
            "workspace_id": ws,
            "name": f"Account {i:05d}",
            "app_name": "App",
            "login_url": f"https://s{i}.example/",
            "username": "u",
            "labels": [],
        }
        for i in range(VISIBLE + 500)
    ]
    collection = new_id()
    with ctx.sessions.begin() as s:
        s.execute(insert(Account), rows)
        s.execute(insert(Collection), [{"id": collection, "workspace_id": ws, "name": "C"}])
        s.execute(
            insert(CollectionItem),
            [{"collection_id": collection, "account_id": r["id"]} for r in rows[:2500]],
        )
        s.execute(
            insert(Share),
            [
                {
                    "id": new_id(),
                    "workspace_id": ws,
                    "member_id": me.id,
                    "collection_id": collection,
                    "account_id": None,
                    "team_id": None,
                    "role": ItemRole.COLLABORATOR.value,
                }
            ]
            + [
                {
                    "id": new_id(),
                    "workspace_id": ws,
                    "member_id": me.id,
                    "account_id": r["id"],
                    "collection_id": None,
                    "team_id": None,
                    "role": ItemRole.OWNER.value,
                }
                for r in rows[2500:VISIBLE]
            ],
        )

    with statements(ctx) as seen:
        first = accounts.listing(ctx, me.id)
    selects = [s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(selects) == 2  # the actor, then the page with its total

    assert (first.total, first.pages, len(first.rows)) == (VISIBLE, 100, 50)
    assert first.rows[0].name == "Account 00000"
    assert first.rows[0].role is ItemRole.COLLABORATOR
    last = accounts.listing(ctx, me.id, page=100)
    assert last.rows[-1].name == f"Account {VISIBLE - 1:05d}"
    assert last.rows[-1].role is ItemRole.OWNER
    found = accounts.listing(ctx, me.id, query="account 0499")
    assert [r.name for r in found.rows] == [f"Account 0499{n}" for n in range(10)]
    assert accounts.listing(ctx, me.id, query="account 0520").total == 0  # 5200-5209: not shared
