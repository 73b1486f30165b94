"""The actual Okta state of an extended account, read with as few calls as the plan needs.

The app is found by the id the broker recorded (`GET /api/v1/apps/{id}`, the larger `app` bucket)
or, when none is recorded or it is gone, by its launch URL, which no other app has: that is what
makes a crash between creating an app and recording its id harmless. A full pass reads every
Bookmark app in one paged listing, and a round lists at most once, whatever number of accounts
need a lookup by launch URL.

Assignments are read only when they can change the plan: not for an app about to be deleted, and
never for an app that does not exist. The groups assigned to an app are read only when some user
holds it through a group (the user listing says so): one call more, only then.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sync.okta import OktaApp, OktaClient, OktaError
from sync.state import ActualApp, ActualGroup, DesiredApp, Strategy


@dataclass(frozen=True)
class Listing:
    """Every Bookmark app of the org, as one paged listing read it."""

    by_url: Mapping[str, Sequence[OktaApp]]
    by_id: Mapping[str, OktaApp]

    @classmethod
    def of(cls, apps: Iterable[OktaApp]) -> Listing:
        by_url: dict[str, list[OktaApp]] = defaultdict(list)
        for app in apps:
            if app.url:
                by_url[app.url].append(app)
        return cls(by_url, {app.id: app for app in apps})


class Apps:
    """The org's Bookmark apps for one round: listed at most once, and only if someone asks.

    Okta cannot filter apps by launch URL, so finding one by it means listing them all: a round
    (or a full pass) shares one listing between its accounts instead of one per account.
    Given a listing already (a full pass reads it up front), nobody reads apps one by one.
    """

    def __init__(self, client: OktaClient, listing: Listing | None = None) -> None:
        self._client = client
        self._listing = listing
        self._failed: OktaError | None = None
        self._lock = asyncio.Lock()

    @property
    def listed(self) -> bool:
        return self._listing is not None

    async def listing(self) -> Listing:
        async with self._lock:
            if self._failed is not None:
                raise self._failed  # the same answer for every account of the round
            if self._listing is None:
                try:
                    self._listing = Listing.of(await self._client.list_bookmark_apps())
                except OktaError as error:
                    self._failed = error
                    raise
            return self._listing


async def find_app(
    client: OktaClient,
    desired: DesiredApp,
    recorded_id: str | None,
    apps: Apps | None = None,
) -> tuple[OktaApp | None, tuple[str, ...]]:
    """The account's app and any other app with its launch URL (duplicates to delete)."""
    apps = apps or Apps(client)
    app: OktaApp | None = None
    if apps.listed:
        listing = await apps.listing()
        app = listing.by_id.get(recorded_id) if recorded_id else None
        if recorded_id and app is None:
            # The listing trails a create (DESIGN.md, "Okta facts"): an app we recorded and it
            # does not show may be young, not gone. Only a read by id tells (one call, rare).
            app = await client.get_app(recorded_id)
    elif recorded_id:
        app = await client.get_app(recorded_id)
        if app is not None and app.url == desired.url:
            return app, ()
        listing = await apps.listing()
    else:
        listing = await apps.listing()
    candidates = list(listing.by_url.get(desired.url, ()))
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
    apps: Apps | None = None,
    seen_through: Callable[[frozenset[str]], frozenset[str]] | None = None,
    groups_expected: bool = False,
) -> tuple[ActualApp | None, OktaApp | None]:
    """The actual state, and the app as Okta sent it (a label change replaces it whole).

    `seen_through` corrects the listed users by what sync wrote lately (`sync/recent.py`);
    `groups_expected`: Okta groups are (or were, at the last sync) assigned to the app, so its
    groups are read even when no user shows holding it through one (all held both ways)."""
    app, duplicates = await find_app(client, desired, recorded_id, apps)
    if app is None:
        return None, None
    users: frozenset[str] | None = None
    holders: frozenset[str] | None = None
    through_groups = False
    if not desired.remove:
        scopes = await client.list_app_user_scopes(app.id)
        users = frozenset(u for u, scope in scopes.items() if scope == "USER")
        holders = frozenset(scopes) - users
        through_groups = bool(holders) or groups_expected or bool(desired.okta_groups)
        if seen_through is not None:
            users = seen_through(users)
    group: ActualGroup | None = None
    group_ids: frozenset[str] | None = None
    if strategy is Strategy.GROUP:
        group, group_ids = await _read_group(client, desired, app.id)
        if group_ids is None and through_groups:
            group_ids = frozenset(await client.list_app_group_ids(app.id))
    elif through_groups:
        # Someone holds the app through a group: Latchkey's own (left by the group strategy)
        # or one assigned by hand. Neither belongs under the individual strategy.
        group_ids = frozenset(await client.list_app_group_ids(app.id))
        if group_ids - desired.okta_groups:
            # Only a group other than the pushed teams' ones can be Latchkey's: one search.
            group = await _find_group(client, desired, group_ids)
    actual = ActualApp(
        app.id, app.label, app.status, app.url or "", users, group, duplicates, group_ids, holders
    )
    return actual, app


async def _find_group(
    client: OktaClient, desired: DesiredApp, assigned: frozenset[str]
) -> ActualGroup | None:
    name = desired.group_name
    groups = [g for g in await client.find_groups(name) if g.name == name]
    if not groups:
        return None
    return ActualGroup(groups[0].id, frozenset(), groups[0].id in assigned)


async def _read_group(
    client: OktaClient, desired: DesiredApp, app_id: str
) -> tuple[ActualGroup | None, frozenset[str] | None]:
    """Latchkey's group of the account, and the groups assigned to the app if they were read."""
    name = desired.group_name
    groups = [g for g in await client.find_groups(name) if g.name == name]
    if not groups:
        return None, None
    group = groups[0]
    if desired.remove:
        return ActualGroup(group.id, frozenset(), True), None
    members = frozenset(await client.list_group_member_ids(group.id))
    assigned = frozenset(await client.list_app_group_ids(app_id))
    return ActualGroup(group.id, members, group.id in assigned), assigned
