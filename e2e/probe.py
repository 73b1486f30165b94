"""A site that serves the fixture pages and writes down every request it receives, for the
autofill tests that launch through the broker with the real extension (Chromium and Firefox).

    GET  /probe/<name>          a fixture page (the account's login URL)
    ANY  /probe/<name>/elsewhere records the request, then redirects (303) to /probe/<name> on the
                                same server under its other loopback name: another origin
    GET  /fixtures/<name>.html  a fixture page by file name (what fixtures put in their frames)
    ANY  /probe/<name>/next     records the request, then serves the fixture <name> (the next
                                step of a multi-page login, e.g. username then email)
    ANY  /probe/<name>/slow     the same, answered SLOW_ANSWER_S later (a slow login POST)
    ANY  /slow/<anything>       records the request, answers SLOW_ANSWER_S later with a page
                                that has no login step
    GET  /_log                  what was received, as JSON (never a page of the test itself)
    DELETE /_log                forget it
    ANY  anything else          records the request, answers a page with no login step

What a must-not page must leave behind is exactly one request (its own GET); what a login page
must leave is the values the site received, which the test compares with the account's.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from e2e.pages import _NAME, FIXTURE_DIRS

RECEIVED_PAGE = (
    "<!doctype html><html><head><title>Welcome</title></head>"
    "<body><h1>Welcome back</h1><p id='received'>Received.</p></body></html>"
)
# How long a slow site takes to answer a login POST (real sites: 0.3 to 3 s). Longer than the
# agent's quiet window (40 ms) by far: a step just submitted stays on screen, filled, that long.
SLOW_ANSWER_S = 1.5
# Requests the browser makes on its own, not the page: not "a request that left the page".
_BROWSER_OWN = frozenset({"/favicon.ico"})


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    form: dict[str, list[str]]
    at: float = field(default_factory=time.time)  # when it arrived (a code is checked against it)


@dataclass
class ProbeLog:
    received: list[Received] = field(default_factory=list)

    def as_json(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.received]


def _fixture(name: str) -> FileResponse | None:
    if not _NAME.fullmatch(name):
        return None
    for folder in FIXTURE_DIRS:
        path = folder / f"{name}.html"
        if path.is_file():
            return FileResponse(path, media_type="text/html", headers={"Cache-Control": "no-store"})
    return None


async def _record(log: ProbeLog, request: Request) -> None:
    if request.url.path in _BROWSER_OWN:
        return
    form: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        form.setdefault(key, []).append(value)
    if request.method not in ("GET", "HEAD"):
        body = await request.form()
        for name, part in body.multi_items():
            form.setdefault(name, []).append(part if isinstance(part, str) else "<file>")
    log.received.append(Received(request.method, request.url.path, form))


def create_probe_app(log: ProbeLog) -> Starlette:
    async def page(request: Request) -> Response:
        await _record(log, request)
        found = _fixture(request.path_params["name"])
        return found if found is not None else HTMLResponse("Not Found", status_code=404)

    async def slow_page(request: Request) -> Response:
        await _record(log, request)
        await asyncio.sleep(SLOW_ANSWER_S)
        found = _fixture(request.path_params["name"])
        return found if found is not None else HTMLResponse("Not Found", status_code=404)

    async def slow_anything(request: Request) -> Response:
        await _record(log, request)
        await asyncio.sleep(SLOW_ANSWER_S)
        return HTMLResponse(RECEIVED_PAGE, headers={"Cache-Control": "no-store"})

    async def by_file_name(request: Request) -> Response:
        await _record(log, request)
        found = _fixture(request.path_params["name"])
        return found if found is not None else HTMLResponse("Not Found", status_code=404)

    async def elsewhere(request: Request) -> Response:
        await _record(log, request)
        other = "localhost" if request.url.hostname == "127.0.0.1" else "127.0.0.1"
        target = request.url.replace(hostname=other, path=f"/probe/{request.path_params['name']}")
        return RedirectResponse(str(target.replace(query="")), status_code=303)

    async def anything(request: Request) -> Response:
        await _record(log, request)
        return HTMLResponse(RECEIVED_PAGE, headers={"Cache-Control": "no-store"})

    async def read_log(request: Request) -> Response:
        if request.method == "DELETE":
            log.received.clear()
            return Response(status_code=204)
        return JSONResponse(log.as_json())

    methods = ["GET", "POST"]
    return Starlette(
        routes=[
            Route("/_log", read_log, methods=["GET", "DELETE"]),
            Route("/probe/{name}", page, methods=["GET"]),
            Route("/probe/{name}/next", page, methods=methods),
            Route("/probe/{name}/slow", slow_page, methods=methods),
            Route("/probe/{name}/elsewhere", elsewhere, methods=methods),
            Route("/slow/{path:path}", slow_anything, methods=methods),
            Route("/fixtures/{name}.html", by_file_name, methods=["GET"]),
            Route("/{path:path}", anything, methods=methods),
        ]
    )
