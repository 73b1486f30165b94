"""The actual Okta state of an extended account, read with as few calls as the plan needs.

The app is found by the id the broker recorded (`GET /api/v1/apps/{id}`, the larger `app` bucket)
or, when none is recorded or it is gone, by its launch URL, which no other app has: that is what
makes a crash between creating an app and recording its id harmless. A full pass reads every
Latchkey app in one paged listing instead of one lookup per account.

Assignments are read only when they can change the plan: not for an app about to be deleted, and
never for an app that does not exist.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sync.okta import OktaApp, OktaClient
from sync.state import ActualApp, ActualGroup, DesiredApp, Strategy


@dataclass(frozen=True)
class Listing:
    """Every Bookmark app of the org, read once for a full pass."""

    by_url: Mapping[str, Sequence[OktaApp]]
    by_id: Mapping[str, OktaApp]

    @classmethod
    def of(cls, apps: Iterable[OktaApp]) -> Listing:
        by_url: dict[str, list[OktaApp]] = defaultdict(list)
        for app in apps:
            if app.url:
                by_url[app.url].append(app)
        return cls(by_url, {app.id: app for app in apps})


async def find_app(
    client: OktaClient,
    desired: DesiredApp,
    recorded_id: str | None,
    listing: Listing | None = None,
) -> tuple[OktaApp | None, tuple[str, ...]]:
    """The account's app and any other app with its launch URL (duplicates to delete)."""
    if listing is not None:
        app = listing.by_id.get(recorded_id) if recorded_id else None
        candidates = list(listing.by_url.get(desired.url, ()))
    else:
        app = await client.get_app(recorded_id) if recorded_id else None
        if app is not None and app.url == desired.url:
            return app, ()
        candidates = await client.find_bookmark_apps(desired.url)
    if app is not None and all(c.id != app.id for c in candidates):
        # Its URL was changed by hand: it is still ours, and will be restored.
        candidates.insert(0, app)
    if not candidates:
        return None, ()
    # Keep the recorded app, else the oldest: Okta's ids are not ordered, the listing is stable.
    candidates.sort(key=lambda c: c.id != recorded_id)
    keep = candidates[0]
    return keep, tuple(c.id for c in candidates[1:])


async def read_actual(
    client: OktaClient,
    desired: DesiredApp,
    recorded_id: str | None,
    *,
    strategy: Strategy = Strategy.INDIVIDUAL,
    listing: Listing | None = None,
) -> tuple[ActualApp | None, OktaApp | None]:
    """The actual state, and the app as Okta sent it (a label change replaces it whole)."""
    app, duplicates = await find_app(client, desired, recorded_id, listing)
    if app is None:
        return None, None
    users: frozenset[str] | None = None
    group: ActualGroup | None = None
    if not desired.remove:
        users = frozenset(await client.list_app_user_ids(app.id))
    if strategy is Strategy.GROUP:
        group = await _read_group(client, desired, app.id)
    actual = ActualApp(app.id, app.label, app.status, app.url or "", users, group, duplicates)
    return actual, app


async def _read_group(client: OktaClient, desired: DesiredApp, app_id: str) -> ActualGroup | None:
    name = desired.group_name
    groups = [g for g in await client.find_groups(name) if g.name == name]
    if not groups:
        return None
    group = groups[0]
    if desired.remove:
        return ActualGroup(group.id, frozenset(), True)
    members = frozenset(await client.list_group_member_ids(group.id))
    assigned = group.id in await client.list_app_group_ids(app_id)
    return ActualGroup(group.id, members, assigned)
