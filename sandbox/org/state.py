"""The sandbox Okta org's state: users, groups, apps and assignments, in memory.

The sandbox stands for the outside world, so its state lives in the process that serves it;
one `OrgState` is shared by the Management API, the OIDC provider, the dashboard, the SCIM client
and the control plane. Every mutation happens under `lock` (the ASGI app may be driven from
several threads by tests). Shapes of the JSON that Okta returns are built by the API modules, not
here.
"""

from __future__ import annotations

import secrets
import string
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

_ID_ALPHABET = string.ascii_letters + string.digits


def okta_id(prefix: str) -> str:
    """An id shaped like Okta's: a 3-character type prefix and 17 random characters (20 in all)."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class OrgUser:
    id: str
    login: str
    email: str
    first_name: str
    last_name: str
    password: str | None = None
    status: str = "ACTIVE"  # STAGED, PROVISIONED, ACTIVE, SUSPENDED, DEPROVISIONED
    created: datetime = field(default_factory=now)
    last_updated: datetime = field(default_factory=now)


@dataclass
class OrgGroup:
    id: str
    name: str
    description: str = ""
    member_ids: set[str] = field(default_factory=set)
    created: datetime = field(default_factory=now)
    last_updated: datetime = field(default_factory=now)
    last_membership_updated: datetime = field(default_factory=now)
    type: str = "OKTA_GROUP"  # OKTA_GROUP (managed by API clients), BUILT_IN ("Everyone")


@dataclass
class OrgApp:
    """An app instance; Latchkey only creates Bookmark apps, the sandbox also holds OIDC clients."""

    id: str
    name: str  # "bookmark", "oidc_client", ...
    label: str
    sign_on_mode: str  # "BOOKMARK", "OPENID_CONNECT"
    status: str = "ACTIVE"  # ACTIVE, INACTIVE
    settings: dict[str, object] = field(default_factory=dict)
    deactivated: datetime | None = None  # when it was last deactivated
    created: datetime = field(default_factory=now)
    last_updated: datetime = field(default_factory=now)
    # Tiles link to /home/{name}/{appId}/{linkId}: the id of the app's "login" link, a number
    # (every Bookmark app's is 2557 in real orgs, as in Okta's own Apps API examples).
    link_id: str = "2557"
    user_ids: dict[str, datetime] = field(default_factory=dict)  # assigned user id -> when
    group_ids: dict[str, datetime] = field(default_factory=dict)  # assigned group id -> when


@dataclass
class OidcClient:
    client_id: str
    client_secret: str | None
    redirect_uris: list[str]
    name: str = "Latchkey broker"
    token_endpoint_auth_method: str = "client_secret_basic"
    # Where /oauth2/v1/logout may send the browser afterwards (OIDC RP-Initiated Logout §3).
    post_logout_redirect_uris: list[str] = field(default_factory=list)


@dataclass
class OrgState:
    users: dict[str, OrgUser] = field(default_factory=dict)
    groups: dict[str, OrgGroup] = field(default_factory=dict)
    apps: dict[str, OrgApp] = field(default_factory=dict)
    oidc_clients: dict[str, OidcClient] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    @contextmanager
    def locked(self) -> Iterator[OrgState]:
        with self.lock:
            yield self

    def clear(self) -> None:
        """Forget everything, keeping this object (every part holds a reference to it)."""
        with self.lock:
            self.users.clear()
            self.groups.clear()
            self.apps.clear()
            self.oidc_clients.clear()

    def remove_group(self, group_id: str) -> OrgGroup | None:
        """Delete a group and its app assignments."""
        with self.lock:
            group = self.groups.pop(group_id, None)
            for app in self.apps.values():
                app.group_ids.pop(group_id, None)
            return group

    def user_by_login(self, login: str) -> OrgUser | None:
        wanted = login.casefold()
        for user in self.users.values():
            if user.login.casefold() == wanted:
                return user
        return None

    def add_user(
        self,
        login: str,
        *,
        first_name: str = "",
        last_name: str = "",
        email: str | None = None,
        password: str | None = None,
        status: str = "ACTIVE",
    ) -> OrgUser:
        with self.lock:
            user = OrgUser(
                id=okta_id("00u"),
                login=login,
                email=email or login,
                first_name=first_name,
                last_name=last_name,
                password=password,
                status=status,
            )
            self.users[user.id] = user
            for group in self.groups.values():
                if group.type == "BUILT_IN":
                    group.member_ids.add(user.id)
            return user

    def everyone(self) -> OrgGroup:
        """The BUILT_IN group every user of the org belongs to (Okta's "Everyone")."""
        with self.lock:
            for group in self.groups.values():
                if group.type == "BUILT_IN":
                    return group
            group = OrgGroup(
                id=okta_id("00g"),
                name="Everyone",
                description="All users in your organization",
                member_ids=set(self.users),
                type="BUILT_IN",
            )
            self.groups[group.id] = group
            return group

    def add_oidc_client(self, client: OidcClient, *, assign_everyone: bool = True) -> OrgApp:
        """Register an OIDC client and its app (whose id is the client id, as in Okta).

        Okta signs a user in to an OIDC app only when they are assigned to it, directly or
        through a group; `assign_everyone` assigns it to Everyone, as an admin often does.
        """
        with self.lock:
            self.oidc_clients[client.client_id] = client
            app = self.apps.get(client.client_id)
            if app is None:
                app = OrgApp(
                    id=client.client_id,
                    name="oidc_client",
                    label=client.name,
                    sign_on_mode="OPENID_CONNECT",
                    link_id="2883",
                )
                self.apps[app.id] = app
            if assign_everyone:
                app.group_ids.setdefault(self.everyone().id, now())
            return app

    def add_group(self, name: str, description: str = "") -> OrgGroup:
        with self.lock:
            group = OrgGroup(id=okta_id("00g"), name=name, description=description)
            self.groups[group.id] = group
            return group

    def groups_of(self, user_id: str) -> list[OrgGroup]:
        return [g for g in self.groups.values() if user_id in g.member_ids]

    def is_assigned(self, app: OrgApp, user_id: str) -> bool:
        """Assigned directly or through one of the user's groups."""
        if user_id in app.user_ids:
            return True
        return any(g.id in app.group_ids for g in self.groups_of(user_id))

    def apps_of(self, user_id: str) -> list[OrgApp]:
        return [a for a in self.apps.values() if self.is_assigned(a, user_id)]
