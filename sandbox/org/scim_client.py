"""Okta as a SCIM 2.0 client (RFC 7643, RFC 7644): it provisions the org's users and pushes its
groups into a SCIM server, with the requests Okta sends.

Users: look up by `userName` (`GET /Users?filter=…&startIndex=1&count=100`), create with
`POST /Users` (201 expected; `externalId` is the Okta user id, `password` a placeholder), update by
full `PUT`, (de)activate by `PUT` or by a path-less `PATCH` replace of `active`; never delete.
Groups (Group Push): `POST /Groups`, then `PATCH` member removals (`members[value eq "…"]`) and
adds, or a full `PUT`; `DELETE`. Member values are the server's SCIM ids, learned from its answers
and kept in `ScimLinks`. Every membership update re-sends the group's `displayName` (Okta's Group
Push does); bodies go as `application/scim+json; charset=utf-8`.

A 429 is retried as Okta's provisioning does (DESIGN.md "Okta facts"; issue 12): after
`Retry-After` seconds, or after 5 minutes when the header is absent, doubling each time, up to 10
tries in all. The waits are org seconds: the sandbox's scaled clock makes them short.

Errors::

    ScimClientError
     ├── ScimNotConfigured          no target URL and token yet
     └── ScimHTTPError              an unexpected status (status, scim_type, detail)
          └── ScimRateLimited       still 429 after the last attempt
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import quote

import anyio
import httpx

from sandbox.org.state import OrgGroup, OrgUser, now

SCIM_JSON = "application/scim+json"
SCIM_JSON_UTF8 = f"{SCIM_JSON}; charset=utf-8"
MAX_ATTEMPTS = 10
NO_RETRY_AFTER_WAIT = 300.0  # org seconds: Okta's first wait when a 429 names none
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_AGENT = "Okta SCIM Client 1.0.0"
PART = "scim"

Updates = Literal["put", "patch"]
Sleep = Callable[[float], Awaitable[None]]


class ScimClientError(Exception):
    pass


class ScimNotConfigured(ScimClientError):
    pass


class ScimHTTPError(ScimClientError):
    def __init__(self, method: str, path: str, status: int, scim_type: str | None, detail: str):
        super().__init__(f"{method} {path} → {status} {scim_type or ''} {detail}".strip())
        self.status, self.scim_type, self.detail = status, scim_type, detail


class ScimRateLimited(ScimHTTPError):
    pass


def error_from(response: httpx.Response) -> ScimHTTPError:
    """RFC 7644 §3.12: an error body carries `status`, `scimType` and `detail`."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    cls = ScimRateLimited if response.status_code == 429 else ScimHTTPError
    return cls(
        response.request.method,
        response.request.url.raw_path.decode("ascii"),
        response.status_code,
        body.get("scimType"),
        str(body.get("detail") or response.text[:200]),
    )


def retry_after(response: httpx.Response) -> float | None:
    """RFC 9110 §10.2.3: seconds, or an HTTP date; None when absent or unreadable."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now()).total_seconds())


def throttled_wait(response: httpx.Response, throttled: int) -> float:
    """Seconds before the retry of the `throttled`-th 429 in a row (1, 2, ...)."""
    named = retry_after(response)
    if named is not None:
        return named
    return float(NO_RETRY_AFTER_WAIT * 2 ** (throttled - 1))


def user_body(user: OrgUser, *, active: bool, scim_id: str | None = None) -> dict[str, Any]:
    """The User resource Okta sends: on create (no id) with a placeholder password."""
    body: dict[str, Any] = {"schemas": [USER_SCHEMA]}
    if scim_id is not None:
        body["id"] = scim_id
    body |= {
        "userName": user.login,
        "name": {"givenName": user.first_name, "familyName": user.last_name},
        "emails": [{"primary": True, "value": user.email, "type": "work"}],
        "displayName": " ".join(p for p in (user.first_name, user.last_name) if p) or user.login,
        "locale": "en-US",
        "externalId": user.id,
        "active": active,
    }
    if scim_id is None:
        body["groups"] = []
        body["password"] = secrets.token_urlsafe(6)[:8]
    return body


def patch_body(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def member_filter(scim_id: str) -> str:
    return f"members[value eq {json.dumps(scim_id)}]"


@dataclass
class ScimLinks:
    """What Okta remembers of what it pushed: the server's ids, and each group's pushed state."""

    users: dict[str, str] = field(default_factory=dict)  # Okta user id -> SCIM id
    groups: dict[str, str] = field(default_factory=dict)  # Okta group id -> SCIM id
    group_names: dict[str, str] = field(default_factory=dict)
    group_members: dict[str, frozenset[str]] = field(default_factory=dict)  # -> Okta user ids


class ScimClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        user_updates: Updates = "put",
        group_updates: Updates = "patch",
        links: ScimLinks | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = anyio.sleep,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.user_updates = user_updates
        self.group_updates = group_updates
        self.links = links or ScimLinks()
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            transport=transport,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": SCIM_JSON,
                "User-Agent": USER_AGENT,
            },
        )

    async def __aenter__(self) -> ScimClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(
        self, method: str, path: str, body: dict[str, Any] | None, expect: tuple[int, ...]
    ) -> dict[str, Any]:
        content = None if body is None else json.dumps(body).encode()
        headers = {} if body is None else {"Content-Type": SCIM_JSON_UTF8}
        for attempt in range(1, self._max_attempts + 1):
            response = await self._http.request(method, path, content=content, headers=headers)
            if response.status_code == 429 and attempt < self._max_attempts:
                await self._sleep(throttled_wait(response, attempt))
                continue
            if response.status_code not in expect:
                raise error_from(response)
            if response.status_code == 204 or not response.content:
                return {}
            data = response.json()
            return data if isinstance(data, dict) else {}
        raise AssertionError("unreachable")  # pragma: no cover

    # Users

    async def find_user(self, login: str) -> str | None:
        """RFC 7644 §3.4.2.2, as Okta phrases it: the first page of a `userName eq` filter."""
        query = quote(f"userName eq {json.dumps(login)}", safe="")
        found = await self._send(
            "GET", f"Users?filter={query}&startIndex=1&count=100", None, (200,)
        )
        resources = found.get("Resources") or []
        return str(resources[0]["id"]) if found.get("totalResults") and resources else None

    async def _scim_id(self, user: OrgUser) -> str | None:
        scim_id = self.links.users.get(user.id) or await self.find_user(user.login)
        if scim_id is not None:
            self.links.users[user.id] = scim_id
        return scim_id

    async def push_user(self, user: OrgUser) -> str:
        """Create the user, or bring an existing one up to date by a full PUT."""
        active = user.status == "ACTIVE"
        scim_id = await self._scim_id(user)
        if scim_id is None:
            created = await self._send("POST", "Users", user_body(user, active=active), (201,))
            scim_id = str(created["id"])
            self.links.users[user.id] = scim_id
        else:
            body = user_body(user, active=active, scim_id=scim_id)
            await self._send("PUT", f"Users/{scim_id}", body, (200,))
        return scim_id

    async def set_active(self, user: OrgUser, active: bool) -> str | None:
        """(De)activate by PUT or PATCH, as configured; a user never pushed needs nothing."""
        scim_id = await self._scim_id(user)
        if scim_id is None:
            return None
        if self.user_updates == "patch":
            body = patch_body({"op": "replace", "value": {"active": active}})
            await self._send("PATCH", f"Users/{scim_id}", body, (200, 204))
        else:
            body = user_body(user, active=active, scim_id=scim_id)
            await self._send("PUT", f"Users/{scim_id}", body, (200,))
        return scim_id

    async def deactivate_user(self, user: OrgUser) -> str | None:
        return await self.set_active(user, False)

    # Groups

    async def push_group(self, group: OrgGroup, members: list[OrgUser]) -> str:
        """Create or update the group so that the server holds exactly `members`."""
        for user in members:
            if user.id not in self.links.users:
                await self.push_user(user)
        member_ids = frozenset(u.id for u in members)
        by_id = {u.id: u for u in members}
        scim_id = self.links.groups.get(group.id)
        pushed: frozenset[str] = self.links.group_members.get(group.id, frozenset())
        if scim_id is None:
            new = {"schemas": [GROUP_SCHEMA], "displayName": group.name, "members": []}
            created = await self._send("POST", "Groups", new, (201,))
            scim_id = str(created["id"])
            self.links.groups[group.id] = scim_id
            self.links.group_names[group.id] = group.name
            pushed = frozenset()
        if self.group_updates == "put":
            body: dict[str, Any] = {
                "schemas": [GROUP_SCHEMA],
                "id": scim_id,
                "displayName": group.name,
                "members": [self._member(by_id[i]) for i in sorted(member_ids)],
            }
            if member_ids != pushed or self.links.group_names.get(group.id) != group.name:
                await self._send("PUT", f"Groups/{scim_id}", body, (200,))
        else:
            ops = self._group_operations(group, scim_id, pushed, member_ids, by_id)
            if ops:
                await self._send("PATCH", f"Groups/{scim_id}", patch_body(*ops), (200, 204))
        self.links.group_names[group.id] = group.name
        self.links.group_members[group.id] = member_ids
        return scim_id

    def _member(self, user: OrgUser) -> dict[str, str]:
        return {"value": self.links.users[user.id], "display": user.login}

    def _group_operations(
        self,
        group: OrgGroup,
        scim_id: str,
        pushed: frozenset[str],
        wanted: frozenset[str],
        by_id: dict[str, OrgUser],
    ) -> list[dict[str, Any]]:
        ops: list[dict[str, Any]] = []
        removed = [u for u in sorted(pushed - wanted) if u in self.links.users]
        added = sorted(wanted - pushed)
        renamed = self.links.group_names.get(group.id) != group.name
        if renamed or removed or added:
            # Okta's Group Push names the group again with every membership update.
            ops.append({"op": "replace", "value": {"id": scim_id, "displayName": group.name}})
        for user_id in removed:
            ops.append({"op": "remove", "path": member_filter(self.links.users[user_id])})
        if added:
            values = [self._member(by_id[i]) for i in added]
            ops.append({"op": "add", "path": "members", "value": values})
        return ops

    async def delete_group(self, group: OrgGroup) -> None:
        scim_id = self.links.groups.pop(group.id, None)
        if scim_id is None:
            return
        self.links.group_names.pop(group.id, None)
        self.links.group_members.pop(group.id, None)
        await self._send("DELETE", f"Groups/{scim_id}", None, (204, 200))
