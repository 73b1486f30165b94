"""The Okta Management API calls sync makes, each one async, limited and mapped to `errors`.

Each remote object gets create / read / update / delete, as terraform-provider-okta's resources
do: a read answers None for a 404 (gone), a delete treats 404 as done, an assignment treats
"already assigned" (409 `E0000062`) as done. Every call passes the `Limiter` of its bucket; a
429 is waited out and retried a bounded number of times (then `RateLimited`); a 5xx or a lost
answer is retried with backoff for calls that are safe to repeat (never for creating an app).

Okta's reads are eventually consistent (~1 s): an app or a group this client created a moment
ago may answer 404, and an app it deactivated a moment ago may still refuse its delete with 403
`E0000056` (DESIGN.md "Okta facts"; a group's read-after-create 404 is
okta/terraform-provider-okta#647, which added retries for it). This client alone owns those
retries: a call on something it created retries a 404, and a delete right after its own
deactivate retries the 403, for `consistency_grace` seconds before believing them.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Self

import httpx

from sync.okta.bodies import (
    app_user_body,
    bookmark_app_body,
    filter_string,
    group_body,
    updated_app_body,
)
from sync.okta.errors import (
    Conflict,
    Forbidden,
    NotFound,
    OktaError,
    RateLimited,
    ServerError,
    TransportError,
    error_from_response,
    is_readable,
    transport_error,
)
from sync.okta.headers import RateLimitHeaders
from sync.okta.limiter import Limiter
from sync.okta.models import OktaApp, OktaGroup
from sync.okta.pagination import next_link

APPS = "/api/v1/apps"
GROUPS = "/api/v1/groups"
# Page sizes: the largest each list accepts (Okta's OpenAPI description), so fewest calls.
APPS_PAGE = 200
APP_USERS_PAGE = 500
APP_GROUPS_PAGE = 200
GROUPS_PAGE = 200
GROUP_MEMBERS_PAGE = 1000

_SAFE_TO_REPEAT = frozenset({"GET", "HEAD", "PUT", "DELETE"})
_BOOKMARKS = {"filter": f"name eq {filter_string('bookmark')}", "limit": str(APPS_PAGE)}


class OktaClient:
    def __init__(
        self,
        base_url: str,
        auth: httpx.Auth,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        limiter: Limiter | None = None,
        timeout: float = 30.0,
        consistency_grace: float = 5.0,
        error_retries: int = 2,
    ) -> None:
        self.base_url = httpx.URL(base_url.rstrip("/"))
        self.limiter = limiter or Limiter()
        self.consistency_grace = consistency_grace  # server seconds
        self.error_retries = error_retries
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=auth,
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json", "User-Agent": "latchkey-sync"},
        )
        self._created: dict[str, float] = {}  # app or group id -> local time it was created

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- apps ---------------------------------------------------------------------------------

    async def create_bookmark_app(
        self, label: str, url: str, *, sending: Callable[[], Awaitable[None]] | None = None
    ) -> OktaApp:
        """`sending` is awaited right before each attempt leaves, after any wait for the limiter:
        from then on Okta may hold the app, whatever becomes of the answer."""
        body = bookmark_app_body(label, url)
        response = await self._call(
            "POST", APPS, params={"activate": "true"}, json=body, repeatable=False, sending=sending
        )
        app = OktaApp.from_json(response.json())
        self._remember(app.id)
        return app

    async def get_app(self, app_id: str) -> OktaApp | None:
        try:
            response = await self._call("GET", f"{APPS}/{app_id}", about=(app_id,))
        except NotFound:
            return None
        return OktaApp.from_json(response.json())

    async def find_bookmark_apps(self, url: str) -> list[OktaApp]:
        """Bookmark apps whose launch URL is exactly `url` (more than one: a crash made two)."""
        return [app async for app in self._bookmark_apps() if app.url == url]

    async def list_bookmark_apps(self, prefix_url: str | None = None) -> list[OktaApp]:
        """Every Bookmark app, or those whose launch URL starts with `prefix_url`."""
        return [
            app
            async for app in self._bookmark_apps()
            if prefix_url is None or (app.url or "").startswith(prefix_url)
        ]

    async def update_app(self, app: OktaApp, label: str, url: str) -> OktaApp:
        """A full `PUT` of the app as read, with `label` and launch `url` (no call when the app
        already has both)."""
        if app.label == label and app.url == url:
            return app
        body = updated_app_body(app.raw, label, url)
        response = await self._call("PUT", f"{APPS}/{app.id}", json=body, about=(app.id,))
        return OktaApp.from_json(response.json())

    async def activate_app(self, app_id: str) -> None:
        """Activate an app (one deactivated by hand is hidden from its users)."""
        await self._call(
            "POST", f"{APPS}/{app_id}/lifecycle/activate", about=(app_id,), repeatable=True
        )

    async def deactivate_app(self, app_id: str) -> None:
        await self._call(
            "POST", f"{APPS}/{app_id}/lifecycle/deactivate", about=(app_id,), repeatable=True
        )

    async def delete_app(self, app: OktaApp | str) -> None:
        """Deactivate, then delete; an app already gone is fine.

        Okta deletes only INACTIVE apps (403 `E0000056` otherwise); given an `OktaApp` already
        INACTIVE, the deactivation call is skipped.
        """
        app_id = app if isinstance(app, str) else app.id
        deactivated: float | None = None  # local time of our own deactivate
        if isinstance(app, str) or app.active:
            try:
                await self.deactivate_app(app_id)
            except NotFound:
                return
            deactivated = self.limiter.clock.now()
        refused = 0
        while True:
            try:
                await self._call("DELETE", f"{APPS}/{app_id}", about=(app_id,))
            except NotFound:
                pass  # gone already: what we wanted
            except Forbidden as exc:
                if exc.error_code != "E0000056":
                    raise
                if deactivated is None:
                    # Our INACTIVE copy was stale (someone activated it since): deactivate.
                    await self.deactivate_app(app_id)
                    deactivated = self.limiter.clock.now()
                    continue
                if self.limiter.clock.now() - deactivated >= self._grace_local():
                    raise
                # Okta has not caught up with our deactivate yet: back off and ask again.
                refused += 1
                await self.limiter.pause(_backoff(refused, first=0.25))
                continue
            break
        self._created.pop(app_id, None)

    # -- app users ----------------------------------------------------------------------------

    async def list_app_user_ids(self, app_id: str, *, scope: str | None = "USER") -> set[str]:
        """Users assigned to the app directly (`scope="USER"`, the default), or also through a
        group (`scope=None`): only direct assignments can be removed one by one."""
        scopes = await self.list_app_user_scopes(app_id)
        return {user for user, held in scopes.items() if scope is None or held == scope}

    async def list_app_user_scopes(self, app_id: str) -> dict[str, str]:
        """Every user of the app and how they hold it: `USER` (directly) or `GROUP`."""
        scopes: dict[str, str] = {}
        pages = self._pages(f"{APPS}/{app_id}/users", {"limit": str(APP_USERS_PAGE)}, (app_id,))
        async for page in pages:
            for item in page:
                # A user assigned both ways is listed once, as USER: the direct assignment wins.
                scopes[str(item["id"])] = str(item.get("scope") or "USER")
        return scopes

    async def assign_user(self, app_id: str, user_id: str) -> bool:
        """Assign the user; False when they already were (409 `E0000062`)."""
        try:
            await self._call(
                "POST",
                f"{APPS}/{app_id}/users",
                json=app_user_body(user_id),
                about=(app_id,),
                repeatable=True,
            )
        except Conflict as exc:
            if exc.error_code != "E0000062":
                raise
            return False
        return True

    async def unassign_user(self, app_id: str, user_id: str) -> bool:
        """Remove the user's direct assignment; False when there was none (404)."""
        try:
            await self._call("DELETE", f"{APPS}/{app_id}/users/{user_id}")
        except NotFound:
            return False
        return True

    # -- groups (the group strategy) ----------------------------------------------------------

    async def create_group(self, name: str, description: str) -> OktaGroup:
        response = await self._call(
            "POST", GROUPS, json=group_body(name, description), repeatable=False
        )
        group = OktaGroup.from_json(response.json())
        self._remember(group.id)
        return group

    async def find_groups(self, name: str) -> list[OktaGroup]:
        """Groups named exactly `name` (Okta compares names without case)."""
        params = {"search": f"profile.name eq {filter_string(name)}", "limit": str(GROUPS_PAGE)}
        found: list[OktaGroup] = []
        async for page in self._pages(GROUPS, params):
            groups = (OktaGroup.from_json(item) for item in page)
            found.extend(g for g in groups if g.name.casefold() == name.casefold())
        return found

    async def list_group_member_ids(self, group_id: str) -> set[str]:
        ids: set[str] = set()
        params = {"limit": str(GROUP_MEMBERS_PAGE)}
        async for page in self._pages(f"{GROUPS}/{group_id}/users", params, (group_id,)):
            ids.update(str(item["id"]) for item in page)
        return ids

    async def add_group_member(self, group_id: str, user_id: str) -> None:
        await self._call("PUT", f"{GROUPS}/{group_id}/users/{user_id}", about=(group_id,))

    async def remove_group_member(self, group_id: str, user_id: str) -> bool:
        """False when the group or the user is not there (404)."""
        try:
            await self._call("DELETE", f"{GROUPS}/{group_id}/users/{user_id}")
        except NotFound:
            return False
        return True

    async def delete_group(self, group_id: str) -> None:
        with contextlib.suppress(NotFound):  # gone already: what we wanted
            await self._call("DELETE", f"{GROUPS}/{group_id}", about=(group_id,))

    async def assign_group_to_app(self, app_id: str, group_id: str) -> None:
        await self._call(
            "PUT", f"{APPS}/{app_id}/groups/{group_id}", json={}, about=(app_id, group_id)
        )

    async def unassign_group_from_app(self, app_id: str, group_id: str) -> bool:
        """False when the group was not assigned (404)."""
        try:
            await self._call("DELETE", f"{APPS}/{app_id}/groups/{group_id}")
        except NotFound:
            return False
        return True

    async def list_app_group_ids(self, app_id: str) -> set[str]:
        ids: set[str] = set()
        pages = self._pages(f"{APPS}/{app_id}/groups", {"limit": str(APP_GROUPS_PAGE)}, (app_id,))
        async for page in pages:
            ids.update(str(item["id"]) for item in page)
        return ids

    # -- the connection -----------------------------------------------------------------------

    async def check_token(self) -> None:
        """One cheap call that needs the token and app read access: `InvalidToken` on 401,
        `Forbidden` when the token may not read apps."""
        await self._call("GET", APPS, params={"limit": "1"})

    # -- calling ------------------------------------------------------------------------------

    async def _bookmark_apps(self) -> AsyncIterator[OktaApp]:
        async for page in self._pages(APPS, _BOOKMARKS):
            for item in page:
                app = OktaApp.from_json(item)
                if app.name == "bookmark":
                    yield app

    async def _pages(
        self, path: str, params: dict[str, str], about: tuple[str, ...] = ()
    ) -> AsyncIterator[list[dict[str, Any]]]:
        url: str = path
        query: dict[str, str] | None = params
        while True:
            response = await self._call("GET", url, params=query, about=about)
            page = response.json()
            if not isinstance(page, list):
                raise OktaError(response.status_code, None, f"expected a list from {url}")
            yield page
            following = next_link(response, self.base_url)
            if following is None:
                return
            url, query = following, None  # verbatim: the cursor is Okta's

    async def _call(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        about: tuple[str, ...] = (),
        repeatable: bool | None = None,
        sending: Callable[[], Awaitable[None]] | None = None,
    ) -> httpx.Response:
        """Send one call until it succeeds or fails for good; the successful answer.

        `about` names the apps and groups the call is on: a 404 is retried while one of them
        is fresh from this client's own create (Okta's lag, not a deletion)."""
        bucket = self.limiter.bucket_for(method, httpx.URL(url).path)
        if repeatable is None:
            repeatable = method in _SAFE_TO_REPEAT
        throttled = failed = missed = 0
        while True:
            response: httpx.Response | None = None
            async with self.limiter.slot(bucket) as slot:
                if sending is not None:
                    try:
                        await sending()
                    except BaseException:
                        slot.sent = False  # it never left: its reservation is not spent
                        raise
                try:
                    answer = await self._http.request(method, url, params=params, json=json)
                except httpx.TransportError as exc:
                    error: OktaError = transport_error(exc)
                else:
                    slot.observe(answer)
                    response = answer
            if response is not None:
                if response.is_success and is_readable(response):
                    return response
                error = error_from_response(response)
            if isinstance(error, RateLimited):
                if throttled >= self.limiter.settings.rate_limit_retries:
                    raise error
                throttled += 1
                if response is not None and RateLimitHeaders.of(response) is None:
                    await self.limiter.pause(_backoff(throttled))  # no reset to wait for
                continue  # the limiter holds the retry until the reset
            if isinstance(error, ServerError | TransportError) and repeatable:
                if failed >= self.error_retries:
                    raise error
                failed += 1
                await self.limiter.pause(_backoff(failed))
                continue
            if isinstance(error, NotFound) and any(self._fresh(i) for i in about):
                missed += 1
                await self.limiter.pause(_backoff(missed, first=0.25))
                continue
            raise error

    def _remember(self, created_id: str) -> None:
        now = self.limiter.clock.now()
        horizon = self._grace_local()
        self._created = {k: t for k, t in self._created.items() if now - t < horizon}
        self._created[created_id] = now

    def _fresh(self, object_id: str) -> bool:
        created = self._created.get(object_id)
        return created is not None and self.limiter.clock.now() - created < self._grace_local()

    def _grace_local(self) -> float:
        return self.consistency_grace / self.limiter.settings.time_scale


def _backoff(attempt: int, *, first: float = 0.5, cap: float = 8.0) -> float:
    """Server seconds before retry `attempt` (1, 2, ...): doubling from `first`."""
    return float(min(cap, first * 2 ** (attempt - 1)))
