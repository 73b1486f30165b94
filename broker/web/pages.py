"""The home page: who is signed in, and where to go from here."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from broker.sessions import current_member
from broker.web import account_list_pages
from broker.web.templating import page


async def home(request: Request) -> Response:
    member = await current_member(request)
    if member is not None:
        return await account_list_pages.home(request)
    return page(request, "home.html", member=member)


def routes() -> list[BaseRoute]:
    return [Route("/", home, methods=["GET"])]
