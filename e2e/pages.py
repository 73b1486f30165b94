"""Fixture pages and the extension's `lib/` modules, served over loopback for the browser tests.

    GET /fixtures/<name>.html   extension/tests/fixtures (shared with the Node tests) or
                                tests/e2e/fixtures (pages only a real browser can run)
    GET /_lib/<name>.js         extension/lib, with CORS, so a page of another origin (a demo
                                site) can import the modules the extension runs
    GET /launch/acc_fixture     a launch page as the broker serves it (docs/launch-contract.md),
                                with a grant no broker knows; any other id: the blocked page (403)
    GET /healthz                the broker's answer, so the extension's Options accept this URL

Test-only by construction: this server and its `/_lib/` route exist in the test run, never in
the extension, so no web page can use them to make the extension fill anything.
"""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from broker.web.health import HEALTHZ
from e2e.browser import EXTENSION_DIR, REPO

FIXTURE_DIRS = (EXTENSION_DIR / "tests" / "fixtures", REPO / "tests" / "e2e" / "fixtures")
LIB_DIR = EXTENSION_DIR / "lib"
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


def fixture_names() -> list[str]:
    """Every fixture page, by file name."""
    return sorted(p.name for d in FIXTURE_DIRS for p in d.glob("*.html"))


def _not_found() -> Response:
    return PlainTextResponse("Not Found", status_code=404)


def create_pages_app(_base_url: str = "") -> Starlette:
    async def fixture(request: Request) -> Response:
        name = request.path_params["name"]
        if not _NAME.fullmatch(name):
            return _not_found()
        for folder in FIXTURE_DIRS:
            path = folder / f"{name}.html"
            if path.is_file():
                headers = {"Cache-Control": "no-store"}
                return FileResponse(path, media_type="text/html", headers=headers)
        return _not_found()

    async def lib(request: Request) -> Response:
        name = request.path_params["name"]
        path = LIB_DIR / f"{name}.js"
        if not _NAME.fullmatch(name) or not path.is_file():
            return _not_found()
        headers = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}
        return FileResponse(path, media_type="text/javascript", headers=headers)

    async def launch(request: Request) -> Response:
        known = request.path_params["account_id"] == "acc_fixture"
        page = "launch-page.html" if known else "blocked-page.html"
        path = REPO / "tests" / "e2e" / "fixtures" / page
        headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
        return FileResponse(
            path, status_code=200 if known else 403, media_type="text/html", headers=headers
        )

    async def healthz(request: Request) -> Response:
        return JSONResponse(HEALTHZ, headers={"Cache-Control": "no-store"})

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/launch/{account_id}", launch, methods=["GET"]),
            Route("/fixtures/{name}.html", fixture, methods=["GET"]),
            Route("/_lib/{name}.js", lib, methods=["GET"]),
        ]
    )
