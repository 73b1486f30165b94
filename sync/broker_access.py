"""Keep the broker's own OIDC app assigned to everyone who has at least one chiclet.

Okta signs a user in to an OIDC app only when they are assigned to it, directly or through a
group; anyone else comes back to the broker's callback with `access_denied` (DESIGN.md "Okta
facts"). A user who clicks a chiclet without a broker session signs in to the broker first, so
everyone with a chiclet must be assigned to the broker's app too. Two ways, by option:

    users   every such user is assigned to the app directly; sync never unassigns (it cannot
            tell its own direct assignments from an admin's)
    group   one Okta group, "Latchkey users", assigned to the app, whose members are exactly the
            users with a chiclet: sync owns it (recommended; docs/admin.md)
    off     the admin assigns the app by hand (to Everyone, or to a group of their own)

A full pass brings the whole workspace in step (its targets are every extended account); a
round of changed accounts only adds the users it newly finds, trusting what the last full pass
read (`_holders`), so it costs calls only for people who just got their first chiclet.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from sync.desired import Target
from sync.okta import OktaClient, OktaError
from sync.report import Tally

logger = logging.getLogger(__name__)

GROUP_NAME = "Latchkey users"
GROUP_DESCRIPTION = "Managed by Latchkey: everyone with a Latchkey chiclet may sign in to it."


class BrokerAccess(StrEnum):
    OFF = "off"
    USERS = "users"
    GROUP = "group"


@dataclass(frozen=True)
class BrokerAccessSettings:
    mode: BrokerAccess = BrokerAccess.OFF
    app_id: str = ""  # the broker's OIDC app in Okta: its id is the OIDC client id
    group_name: str = GROUP_NAME

    @property
    def on(self) -> bool:
        return self.mode is not BrokerAccess.OFF and bool(self.app_id)

    @classmethod
    def from_env(
        cls, oidc_client_id: str, environ: Mapping[str, str] = os.environ
    ) -> BrokerAccessSettings:
        """`LATCHKEY_SYNC_BROKER_ACCESS` (off, users, group) for the app whose id is the
        broker's OIDC client id (`LATCHKEY_SYNC_BROKER_APP_ID` overrides it)."""
        raw = environ.get("LATCHKEY_SYNC_BROKER_ACCESS", "").strip().lower() or "off"
        try:
            mode = BrokerAccess(raw)
        except ValueError:
            choices = ", ".join(m.value for m in BrokerAccess)
            raise ValueError(f"LATCHKEY_SYNC_BROKER_ACCESS must be one of {choices}") from None
        app_id = environ.get("LATCHKEY_SYNC_BROKER_APP_ID", "").strip() or oidc_client_id
        return cls(mode, app_id)


def chiclet_holders(targets: Iterable[Target]) -> frozenset[str]:
    """Okta ids of everyone assigned to at least one extended account's app."""
    return frozenset(u for t in targets if not t.desired.remove for u in t.desired.user_ids)


class BrokerAccessKeeper:
    """One per worker; `_holders` remembers, per workspace, who holds the app already."""

    def __init__(self, settings: BrokerAccessSettings) -> None:
        self.settings = settings
        self._holders: dict[str, set[str]] = {}

    async def keep(
        self,
        workspace_id: str,
        client: OktaClient,
        wanted: frozenset[str],
        tally: Tally,
        *,
        full: bool,
    ) -> None:
        """Assign the broker's app to `wanted`; on a full pass also drop the group's others.

        A failure is logged and counted, never raised: the accounts' sync is done already and
        the next pass tries again."""
        if not self.settings.on:
            return
        known = self._holders.get(workspace_id)
        if not full and known is not None and wanted <= known:
            return  # nobody new: no call
        try:
            if self.settings.mode is BrokerAccess.GROUP:
                held = await self._by_group(client, wanted, prune=full)
            else:
                held = await self._by_users(client, wanted, known if not full else None)
        except OktaError as error:
            logger.warning("keeping the broker's app assigned failed: %s", error)
            tally.errors.append(f"broker app {self.settings.app_id}: Okta answered {error}")
            self._holders.pop(workspace_id, None)
            return
        self._holders[workspace_id] = held

    async def _by_users(
        self, client: OktaClient, wanted: frozenset[str], known: set[str] | None
    ) -> set[str]:
        app_id = self.settings.app_id
        if known is None:
            # Directly or through any group (Everyone, say): either way they may sign in.
            known = set(await client.list_app_user_ids(app_id, scope=None))
        for user in sorted(wanted - known):
            await client.assign_user(app_id, user)
            known.add(user)
        return known

    async def _by_group(
        self, client: OktaClient, wanted: frozenset[str], *, prune: bool
    ) -> set[str]:
        app_id, name = self.settings.app_id, self.settings.group_name
        found = await client.find_groups(name)
        if found:
            group = found[0]
            members = await client.list_group_member_ids(group.id)
            if group.id not in await client.list_app_group_ids(app_id):
                await client.assign_group_to_app(app_id, group.id)
        else:
            group = await client.create_group(name, GROUP_DESCRIPTION)
            members = set()
            await client.assign_group_to_app(app_id, group.id)
        for user in sorted(wanted - members):
            await client.add_group_member(group.id, user)
            members.add(user)
        if prune:
            for user in sorted(members - wanted):
                await client.remove_group_member(group.id, user)
                members.discard(user)
        return members
