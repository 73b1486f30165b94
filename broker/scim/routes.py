"""The SCIM 2.0 endpoints, mounted by the app factory under `/scim/v2` (RFC 7644 §3.2).

    /Users                  GET (filter, paging)  POST
    /Users/{id}             GET  PUT  PATCH       (no DELETE: Okta deactivates users)
    /Groups                 GET (filter, paging)  POST
    /Groups/{id}            GET  PUT  PATCH  DELETE
    /ServiceProviderConfig  /ResourceTypes[/{id}]  /Schemas[/{id}]   GET

Each request is authenticated, its body read and validated, then its change made in one
transaction through the domain services: a refused request changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import anyio.to_thread
import pydantic
from scim2_models import Context, Group, PatchOp, ResponseParameters, SCIMException, User
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from broker.context import BrokerContext
from broker.db import transaction
from broker.errors import DomainError
from broker.scim import discovery, groups, users
from broker.scim.errors import (
    MethodNotAllowed,
    NotFound,
    Uniqueness,
    from_domain,
    from_scim2,
)
from broker.scim.query import list_response, parse_filter, parse_page
from broker.scim.wire import guarded, read_json, scim_response

PREFIX = "/scim/v2"
T = TypeVar("T")
Endpoint = Callable[[Request], Awaitable[Response]]
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _shown(request: Request, resource: type[Any]) -> ResponseParameters[Any] | None:
    """RFC 7644 §3.9 / §3.4.2.5: `attributes` or `excludedAttributes`, on any answer."""
    query = request.query_params
    wanted = {k: query[k] for k in ("attributes", "excludedAttributes") if query.get(k)}
    if not wanted:
        return None
    return _validated(
        lambda: ResponseParameters[resource].model_validate(  # type: ignore[valid-type]
            wanted, scim_ctx=Context.SEARCH_REQUEST
        )
    )


def _validated(parse: Callable[[], T]) -> T:
    try:
        return parse()
    except (SCIMException, pydantic.ValidationError) as exc:
        raise from_scim2(exc) from None


class _Server:
    def __init__(self, ctx: BrokerContext) -> None:
        self.ctx = ctx
        self.base_url = ctx.settings.broker_url.rstrip("/") + PREFIX

    async def unit(self, work: Callable[[Session, str], T]) -> T:
        """`work(session, workspace_id)` in one transaction, off the event loop."""

        def run() -> T:
            try:
                with transaction(self.ctx.sessions) as session:
                    return work(session, self.ctx.workspace_id(session))
            except DomainError as exc:
                raise from_domain(exc) from None
            except (SCIMException, pydantic.ValidationError) as exc:
                raise from_scim2(exc) from None
            except IntegrityError:
                # Two requests raced past the same uniqueness check; the database kept one.
                raise Uniqueness("The resource conflicts with one that exists.") from None

        return await anyio.to_thread.run_sync(run)

    def dispatch(self, handlers: Mapping[str, Endpoint]) -> Endpoint:
        allowed = tuple(handlers)

        async def endpoint(request: Request) -> Response:
            method = "GET" if request.method == "HEAD" else request.method
            handler = handlers.get(method)
            if handler is None:
                raise MethodNotAllowed(f"{request.method} is not supported here.", allow=allowed)
            return await handler(request)

        return guarded(lambda: self.ctx.settings.scim_token, endpoint)

    # --- Users (RFC 7644 §3.3, §3.4, §3.5) ---------------------------------------------------

    async def list_users(self, request: Request) -> Response:
        where = parse_filter(request.query_params.get("filter"), users.FILTERABLE)
        page = parse_page(request.query_params)
        shown = _shown(request, User)

        def work(session: Session, workspace_id: str) -> dict[str, object]:
            found, total = users.search(session, workspace_id, where, page)
            resources = [users.resource(m, self.base_url, shown) for m in found]
            return list_response(resources, total, page)

        return scim_response(await self.unit(work))

    async def create_user(self, request: Request) -> Response:
        data = await read_json(request)
        users.check_kept(data)
        user = _validated(lambda: users.parse(data, Context.RESOURCE_CREATION_REQUEST))
        given = users.read_input(user)
        shown = _shown(request, User)

        def work(session: Session, workspace_id: str) -> dict[str, Any]:
            member = users.create(session, workspace_id, given)
            return users.resource(member, self.base_url, shown)

        body = await self.unit(work)
        return scim_response(body, 201, {"Location": body["meta"]["location"]})

    async def get_user(self, request: Request) -> Response:
        scim_id = request.path_params["id"]
        shown = _shown(request, User)

        def work(session: Session, workspace_id: str) -> dict[str, Any]:
            member = users.find(session, workspace_id, scim_id)
            return users.resource(member, self.base_url, shown)

        return scim_response(await self.unit(work))

    async def replace_user(self, request: Request) -> Response:
        scim_id = request.path_params["id"]
        data = await read_json(request)
        users.check_kept(data)
        user = _validated(lambda: users.parse(data, Context.RESOURCE_REPLACEMENT_REQUEST))
        given = users.read_input(user)
        shown = _shown(request, User)

        def work(session: Session, workspace_id: str) -> dict[str, Any]:
            member = users.replace(session, users.find(session, workspace_id, scim_id), given)
            return users.resource(member, self.base_url, shown)

        return scim_response(await self.unit(work))

    async def patch_user(self, request: Request) -> Response:
        scim_id = request.path_params["id"]
        data = await read_json(request)
        operations: PatchOp[User[Any]] = _validated(
            lambda: PatchOp[User[Any]].model_validate(data, scim_ctx=Context.RESOURCE_PATCH_REQUEST)
        )
        users.check_kept_patch(data)  # after: a path naming nothing is `invalidPath`
        shown = _shown(request, User)

        def work(session: Session, workspace_id: str) -> dict[str, Any]:
            member = users.patch(session, users.find(session, workspace_id, scim_id), operations)
            return users.resource(member, self.base_url, shown)

        return scim_response(await self.unit(work))

    # --- Groups --------------------------------------------------------------------------------

    async def list_groups(self, request: Request) -> Response:
        where = parse_filter(request.query_params.get("filter"), groups.FILTERABLE)
        page = parse_page(request.query_params)
        # Okta may ask for groups without their (long) member lists (RFC 7644 §3.4.2.5).
        shown = _shown(request, Group)

        def work(session: Session, workspace_id: str) -> dict[str, object]:
            found, total = groups.search(session, workspace_id, where, page)
            resources = [groups.resource(session, t, self.base_url, shown) for t in found]
            return list_response(resources, total, page)

        return scim_response(await self.unit(work))

    async def create_group(self, request: Request) -> Response:
        data = await read_json(request)
        group = _validated(lambda: groups.parse(data, Context.RESOURCE_CREATION_REQUEST))
        given = groups.read_input(group)
        shown = _shown(request, Group)

        def work(session: Session, workspace_id: str) -> dict[str, Any]:
            team = groups.create(session, workspace_id, given)
            return groups.resource(session, team, self.base_url, shown)

        body = await self.unit(work)
        return scim_response(body, 201, {"Location": body["meta"]["location"]})

    async def get_group(self, request: Request) -> Response:
        scim_id = request.path_params["id"]
        shown = _shown(request, Group)

        def work(session: Session, workspace_id: str) -> dict[str, Any]:
            team = groups.find(session, workspace_id, scim_id)
            return groups.resource(session, team, self.base_url, shown)

        return scim_response(await self.unit(work))

    async def replace_group(self, request: Request) -> Response:
        scim_id = request.path_params["id"]
        data = await read_json(request)
        group = _validated(lambda: groups.parse(data, Context.RESOURCE_REPLACEMENT_REQUEST))
        given = groups.read_input(group)
        shown = _shown(request, Group)

        def work(session: Session, workspace_id: str) -> dict[str, Any]:
            team = groups.replace(session, groups.find(session, workspace_id, scim_id), given)
            return groups.resource(session, team, self.base_url, shown)

        return scim_response(await self.unit(work))

    async def patch_group(self, request: Request) -> Response:
        scim_id = request.path_params["id"]
        data = await read_json(request)
        operations: PatchOp[Group] = _validated(
            lambda: PatchOp[Group].model_validate(data, scim_ctx=Context.RESOURCE_PATCH_REQUEST)
        )
        shown = _shown(request, Group)

        def work(session: Session, workspace_id: str) -> dict[str, Any]:
            team = groups.patch(session, groups.find(session, workspace_id, scim_id), operations)
            return groups.resource(session, team, self.base_url, shown)

        return scim_response(await self.unit(work))

    async def delete_group(self, request: Request) -> Response:
        scim_id = request.path_params["id"]

        def work(session: Session, workspace_id: str) -> None:
            groups.delete(session, groups.find(session, workspace_id, scim_id))

        await self.unit(work)
        return scim_response(None, 204)

    # --- discovery (RFC 7644 §4) ---------------------------------------------------------------

    async def service_provider_config(self, request: Request) -> Response:
        return scim_response(discovery.service_provider_config(self.base_url))

    async def resource_types(self, request: Request) -> Response:
        return _listing(discovery.resource_types(self.base_url), request.path_params.get("id"))

    async def schemas(self, request: Request) -> Response:
        return _listing(discovery.schemas(self.base_url), request.path_params.get("id"))

    async def unknown(self, request: Request) -> Response:
        raise NotFound("No such SCIM endpoint.")


def _listing(found: dict[str, dict[str, Any]], wanted: str | None) -> Response:
    if wanted is None:
        resources = list(found.values())
        body = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": len(resources),
            "startIndex": 1,
            "itemsPerPage": len(resources),
            "Resources": resources,
        }
        return scim_response(body)
    if wanted not in found:
        raise NotFound(f"No {wanted!r} here.")
    return scim_response(found[wanted])


def routes(ctx: BrokerContext) -> list[BaseRoute]:
    """The SCIM server's routes, relative to where the app mounts them (`PREFIX`)."""
    s = _Server(ctx)

    def route(path: str, **handlers: Endpoint) -> Route:
        return Route(path, s.dispatch(handlers), methods=_METHODS)

    return [
        route("/Users", GET=s.list_users, POST=s.create_user),
        route("/Users/{id}", GET=s.get_user, PUT=s.replace_user, PATCH=s.patch_user),
        route("/Groups", GET=s.list_groups, POST=s.create_group),
        route(
            "/Groups/{id}",
            GET=s.get_group,
            PUT=s.replace_group,
            PATCH=s.patch_group,
            DELETE=s.delete_group,
        ),
        route("/ServiceProviderConfig", GET=s.service_provider_config),
        route("/ResourceTypes", GET=s.resource_types),
        route("/ResourceTypes/{id}", GET=s.resource_types),
        route("/Schemas", GET=s.schemas),
        route("/Schemas/{id}", GET=s.schemas),
        route(
            "/{rest:path}",
            GET=s.unknown,
            POST=s.unknown,
            PUT=s.unknown,
            PATCH=s.unknown,
            DELETE=s.unknown,
        ),
    ]
