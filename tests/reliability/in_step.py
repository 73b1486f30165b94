"""Is Okta exactly in step with the broker? What an operator would check after a sync settles.

One app per extended account, at the account's launch URL, active, with exactly the people who
may launch it assigned; no other app (none left by a deleted or removed account, no duplicate);
every deleted account's tombstone gone; nothing left in the outbox. `out_of_step` returns what is
wrong, one line each (empty: in step), so a test asserts it is empty and `bench/soak.py` counts it.
The org's apps come from the in-process sandbox (`apps_in_state`) or from its control plane over
HTTP (`apps_in_control_state`, for a sandbox in another process).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.models import Account, OktaExtension, SyncOutbox, Workspace
from sandbox.org.state import OrgState
from sync.desired import launch_url, load_targets


@dataclass(frozen=True)
class OktaApp:
    id: str
    url: str
    status: str
    user_ids: frozenset[str]  # who holds the chiclet: assigned directly or through a group


BOOKMARK = "bookmark"  # the only kind of app sync makes; the org's OIDC client app is not one


def apps_in_state(state: OrgState) -> list[OktaApp]:
    """The Bookmark apps of an in-process org (hold `state.locked()` around the call)."""
    return [
        OktaApp(
            app.id,
            app.settings["app"]["url"],  # type: ignore[index]
            app.status,
            frozenset(app.user_ids).union(
                *(state.groups[g].member_ids for g in app.group_ids if g in state.groups)
            ),
        )
        for app in state.apps.values()
        if app.name == BOOKMARK
    ]


def apps_in_control_state(body: Mapping[str, Any]) -> list[OktaApp]:
    """The Bookmark apps of `GET /_sandbox/state` (`sandbox/org/control.py`)."""
    members = {group["id"]: group["members"] for group in body["groups"]}
    return [
        OktaApp(
            app["id"],
            app["settings"]["app"]["url"],
            app["status"],
            frozenset(app["users"]).union(*(members.get(g, ()) for g in app["groups"])),
        )
        for app in body["apps"]
        if app["name"] == BOOKMARK
    ]


def out_of_step(
    session: Session, workspace_id: str, broker_url: str, apps: Iterable[OktaApp]
) -> list[str]:
    """Every way Okta's apps differ from what the broker wants, and every row sync has left."""
    wrong: list[str] = []
    workspace = session.get_one(Workspace, workspace_id)
    targets = load_targets(session, workspace, broker_url)
    tombstones = list(session.scalars(select(Account.id).where(Account.deleted_at.is_not(None))))
    wrong += [f"account {a}: deleted, its tombstone still there" for a in tombstones]
    wrong += [
        f"account {a}: its app still to be removed" for a, t in targets.items() if t.desired.remove
    ]
    extended = set(session.scalars(select(OktaExtension.account_id)))
    wrong += [f"account {a}: extended, no target" for a in sorted(extended - set(targets))]
    queued = list(session.scalars(select(SyncOutbox.account_id)))
    wrong += [f"account {a}: still in the outbox" for a in queued]
    by_url: dict[str, list[OktaApp]] = {}
    for app in apps:
        by_url.setdefault(app.url, []).append(app)
    expected = {launch_url(broker_url, account_id): account_id for account_id in targets}
    wrong += [
        f"app {url}: no extended account of its own" for url in sorted(set(by_url) - set(expected))
    ]
    for url, account_id in expected.items():
        found, target = by_url.get(url, []), targets[account_id]
        if len(found) != 1:
            wrong.append(f"account {account_id}: {len(found)} apps in Okta")
            continue
        (app,) = found
        if app.status != "ACTIVE":
            wrong.append(f"account {account_id}: its app is {app.status}")
        if app.user_ids != set(target.desired.user_ids):
            missing = set(target.desired.user_ids) - app.user_ids
            extra = app.user_ids - set(target.desired.user_ids)
            wrong.append(
                f"account {account_id}: assigned {len(extra)} too many, {len(missing)} missing"
            )
        if target.okta_app_id != app.id:
            wrong.append(
                f"account {account_id}: records app {target.okta_app_id}, Okta has {app.id}"
            )
    return wrong
