"""Okta groups of pushed teams: assign a whole group to an app instead of each of its members.

A team pushed from Okta over SCIM (Group Push) mirrors an Okta group. When an account is shared
with such a team and **every** member of the Okta group may launch the account, assigning the
group to the Bookmark app (one call, `PUT /api/v1/apps/{id}/groups/{groupId}`) gives everyone the
chiclet, and later membership changes in Okta reach the app with no call of ours at all. Who is
in the group is read from Okta (`GET /api/v1/groups/{id}/users`, the `groups` bucket), never
inferred from the team: Okta pushes only the members assigned to the SCIM app, so the group can
hold people Latchkey never saw.

A group is *fit* for an account when it is not empty and each of its members is in the account's
assignment set (`broker.rbac`: active, neither Login-only nor Guest, an Okta id, a role on the
account). Anyone else in it (a Login-only or Guest member, someone deactivated, not provisioned to
Latchkey, or without a share reaching the account) makes it *unfit*: the account's users are then
assigned another way, and the group, if assigned, is removed before anything else
(`sync.plan.RevokeGroup`). People no fit group covers get the strategy's own assignments.

Which Okta group a team mirrors: its SCIM `externalId` when the client sent one; Okta's own Group
Push sends none (its SCIM 2.0 reference, "Create Groups": `{"schemas", "displayName", "members"}`),
so otherwise the Okta group named exactly like the team (`search=profile.name eq "…"`), if there
is exactly one that is not BUILT_IN. The name only picks the candidate: fitness is decided by
the members Okta lists, so a wrong match can only make a group unfit, never grant anyone more.

Each round reads a group's members once, however many accounts share the team (`OktaGroups`);
which group a team's name picked is kept for the worker's life (`ResolvedGroups`): searched again
when the team is renamed or the group answers 404.

What each sync left in Okta is recorded on the account (`Assignment`, `okta_extensions.
okta_assignment`): the account page shows it, and a round whose plan against that record is
empty makes no call for the app (`believed`): a team membership change, with its group fit,
costs only the group's member listing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sync.okta import OktaClient
from sync.okta.errors import Forbidden, NotFound
from sync.plan import AssignUser, MoveToGroup, Op, UnassignUser
from sync.state import ACTIVE, ActualApp, ActualGroup, DesiredApp, Strategy

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TeamRef:
    """A team reaching an account through a share, as the database knows it."""

    team_id: str
    name: str
    external_id: str | None = None


@dataclass(frozen=True)
class GroupFacts:
    """An Okta group a team mirrors, and its members as Okta listed them this round."""

    id: str
    name: str  # the team's name, as the account page shows it
    members: frozenset[str]


# (workspace id, team id, team name, team external id) -> the Okta group found by the team's name.
GroupKey = tuple[str, str, str, str | None]


class ResolvedGroups:
    """Which Okta group each pushed team's name picked, kept across a worker's rounds so a round
    need not search again. A renamed team is another key (searched again); an entry whose group
    answers 404 is dropped and the name searched again. Safety never rests on this match: only
    the members Okta lists, read again every round, decide whether a group is fit, so a stale or
    wrong id can only make a group unusable or assign one whose members may all launch."""

    def __init__(self) -> None:
        self._ids: dict[GroupKey, str] = {}

    def get(self, key: GroupKey) -> str | None:
        return self._ids.get(key)

    def keep(self, key: GroupKey, group_id: str) -> None:
        self._ids[key] = group_id

    def drop(self, key: GroupKey) -> None:
        self._ids.pop(key, None)


class OktaGroups:
    """The Okta groups of one round (or full pass): each found and listed at most once.

    Members are listed every round (a Login-only person may join the group in Okta at any time:
    each decision rests on a listing of its own round); `resolved` keeps only which group a
    team's name picked, across rounds."""

    def __init__(
        self,
        client: OktaClient,
        resolved: ResolvedGroups | None = None,
        workspace_id: str = "",
    ) -> None:
        self._client = client
        self._resolved = resolved if resolved is not None else ResolvedGroups()
        self._workspace_id = workspace_id
        self._found: dict[str, asyncio.Task[GroupFacts | None]] = {}

    async def facts(self, team: TeamRef, known: str | None = None) -> GroupFacts | None:
        """The team's Okta group and its members; None when Okta has no such group. `known`:
        the group a previous sync found by the team's name, listed first instead of searching
        (a search again if it is gone)."""
        key = f"id:{team.external_id}" if team.external_id else f"name:{team.name.casefold()}"
        task = self._found.get(key)
        if task is None:
            task = self._found[key] = asyncio.ensure_future(self._read(team, known))
        facts = await asyncio.shield(task)
        return None if facts is None else GroupFacts(facts.id, team.name, facts.members)

    async def _read(self, team: TeamRef, known: str | None) -> GroupFacts | None:
        key: GroupKey = (self._workspace_id, team.team_id, team.name, team.external_id)
        try:
            if team.external_id is None:
                for hint in dict.fromkeys(h for h in (self._resolved.get(key), known) if h):
                    try:
                        members = await self._client.list_group_member_ids(hint)
                    except NotFound:
                        # Deleted since: forget it, and look for the group by the team's name.
                        self._resolved.drop(key)
                        continue
                    self._resolved.keep(key, hint)
                    return GroupFacts(hint, team.name, frozenset(members))
            facts = await self._read_group(team)
            if facts is not None and team.external_id is None:
                self._resolved.keep(key, facts.id)
            return facts
        except Forbidden:
            # The token may not read groups (no `okta.groups.read`): no group is known fit, so
            # everyone is assigned one by one, as before this feature.
            logger.warning("Okta refused to read groups: pushed teams are assigned one by one")
            return None

    async def _read_group(self, team: TeamRef) -> GroupFacts | None:
        group_id = team.external_id
        if group_id is None:
            found = [
                g
                for g in await self._client.find_groups(team.name)
                if g.raw.get("type") != "BUILT_IN"
            ]
            if len(found) != 1:
                return None  # none, or ambiguous: no group to use
            group_id = found[0].id
        try:
            members = frozenset(await self._client.list_group_member_ids(group_id))
        except NotFound:
            return None
        return GroupFacts(group_id, team.name, members)


@dataclass(frozen=True)
class Unfit:
    name: str
    outside: int  # members who may not launch the account (0: the group is empty)


@dataclass(frozen=True)
class Choice:
    fit: tuple[GroupFacts, ...] = ()
    unfit: tuple[tuple[GroupFacts, Unfit], ...] = ()

    def applied_to(self, desired: DesiredApp) -> DesiredApp:
        covered = frozenset().union(*(g.members for g in self.fit))
        return dataclasses.replace(
            desired,
            okta_groups=frozenset(g.id for g in self.fit),
            covered=covered & desired.user_ids,
            unfit_groups=frozenset(g.id for g, why in self.unfit if why.outside),
        )


def choose(allowed: frozenset[str], groups: Iterable[GroupFacts]) -> Choice:
    """Which groups may be assigned: those whose every member is `allowed` (pure)."""
    fit: list[GroupFacts] = []
    unfit: list[tuple[GroupFacts, Unfit]] = []
    seen: set[str] = set()
    for group in sorted(groups, key=lambda g: (g.name.casefold(), g.id)):
        if group.id in seen:
            continue  # two teams, one group
        seen.add(group.id)
        outside = group.members - allowed
        if group.members and not outside:
            fit.append(group)
        else:
            unfit.append((group, Unfit(group.name, len(outside))))
    return Choice(tuple(fit), tuple(unfit))


async def choice_for(
    groups: OktaGroups,
    desired: DesiredApp,
    teams: Sequence[TeamRef],
    recorded: Assignment | None = None,
) -> Choice:
    """`recorded`: what the last sync left, whose groups need no search by name again."""
    if desired.remove or not teams:
        return Choice()
    known = {name.casefold(): gid for gid, name, _ in recorded.groups} if recorded else {}
    found = await asyncio.gather(*(groups.facts(t, known.get(t.name.casefold())) for t in teams))
    return choose(desired.user_ids, (f for f in found if f is not None))


# -- what a sync left in Okta ------------------------------------------------------------------


@dataclass(frozen=True)
class Assignment:
    """How the app is assigned after a successful sync, as recorded on the account.

    `groups`: the Okta groups assigned (id, name, people); `individual`: how many people hold
    the app otherwise (directly, or through Latchkey's group under the group strategy); `unfit`:
    pushed teams whose group could not be used. `direct`, `latchkey_group` and `members` are what
    sync left in Okta: a later round plans against them instead of reading the app."""

    strategy: Strategy
    label: str
    groups: tuple[tuple[str, str, int], ...] = ()
    individual: int = 0
    unfit: tuple[Unfit, ...] = ()
    direct: frozenset[str] = frozenset()
    latchkey_group: str | None = None
    members: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy.value,
            "label": self.label,
            "groups": [{"id": i, "name": n, "people": p} for i, n, p in self.groups],
            "individual": self.individual,
            "unfit": [{"name": u.name, "outside": u.outside} for u in self.unfit],
            "direct": sorted(self.direct),
            "latchkey_group": self.latchkey_group,
            "members": sorted(self.members),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> Assignment | None:
        if not raw:
            return None
        try:
            return cls(
                Strategy(raw["strategy"]),
                str(raw["label"]),
                tuple((str(g["id"]), str(g["name"]), int(g["people"])) for g in raw["groups"]),
                int(raw["individual"]),
                tuple(Unfit(str(u["name"]), int(u["outside"])) for u in raw["unfit"]),
                frozenset(map(str, raw["direct"])),
                raw.get("latchkey_group"),
                frozenset(map(str, raw["members"])),
            )
        except (KeyError, TypeError, ValueError):
            return None  # an older shape: read the app instead

    @property
    def group_ids(self) -> frozenset[str]:
        return frozenset(g[0] for g in self.groups)


def settled(
    desired: DesiredApp,
    actual: ActualApp | None,
    ops: Sequence[Op],
    choice: Choice,
    strategy: Strategy,
    latchkey_group: str | None,
) -> Assignment:
    """What Okta holds once `ops`, the whole plan from `actual` to `desired`, succeeded."""
    direct = set(actual.user_ids or ()) if actual is not None else set()
    for op in ops:
        if isinstance(op, AssignUser):
            direct.add(op.user_id)
        elif isinstance(op, UnassignUser | MoveToGroup):
            direct.discard(op.user_id)
    residual = desired.residual
    group = latchkey_group if strategy is Strategy.GROUP else None
    return Assignment(
        strategy,
        desired.label,
        tuple((g.id, g.name, len(g.members)) for g in choice.fit),
        len(residual),
        tuple(why for _, why in choice.unfit),
        frozenset(direct),
        group,
        residual if group is not None else frozenset(),
    )


def believed(app_id: str, url: str, recorded: Assignment) -> ActualApp:
    """The app as the last successful sync left it (no read, no call)."""
    group = (
        ActualGroup(recorded.latchkey_group, recorded.members, True)
        if recorded.latchkey_group is not None
        else None
    )
    ours = {recorded.latchkey_group} if recorded.latchkey_group else set()
    return ActualApp(
        app_id,
        recorded.label,
        ACTIVE,
        url,
        recorded.direct,
        group,
        (),
        recorded.group_ids | ours,
        frozenset(),
    )


def okta_groups_from_env(environ: Mapping[str, str] = os.environ) -> bool:
    """`LATCHKEY_SYNC_OKTA_GROUPS`: `on` (the default) or `off`."""
    raw = environ.get("LATCHKEY_SYNC_OKTA_GROUPS", "").strip().lower() or "on"
    if raw not in ("on", "off"):
        raise ValueError(f"LATCHKEY_SYNC_OKTA_GROUPS must be on or off, not {raw!r}")
    return raw == "on"
