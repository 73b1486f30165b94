"""The home page: who is signed in, and where to go from here."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from broker.sessions import current_member
from broker.web.templating import page


async def home(request: Request) -> Response:
    return page(request, "home.html", member=await current_member(request))


def routes() -> list[BaseRoute]:
    return [Route("/", home, methods=["GET"])]
