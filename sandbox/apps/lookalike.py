"""A look-alike of the demo sites on another origin, for the extension's negative tests.

Serve it on another port or host than the real sites (e.g. http://127.0.0.1:8421). Its pages are
rendered from the very templates of the real sites, at the same paths, so only the origin tells
them apart. It accepts every submission and records it:

    GET    /_captured   {"submissions": [{"method", "path", "query", "content_type",
                                          "form": {name: [values]}, "body"}, …]}
    DELETE /_captured   204, forgets them

A test that launches against the real origin and then steers the tab here asserts that
`submissions` stays empty.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.apps.signin import WRONG_CREDENTIALS, code_template, login_template
from sandbox.apps.sites import SITES, LoginStyle, Site
from sandbox.apps.templating import render

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class Captures:
    def __init__(self) -> None:
        self._items: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    async def record(self, request: Request) -> None:
        content_type = request.headers.get("content-type", "")
        form: dict[str, list[str]] = {}
        body = ""
        if content_type.split(";")[0].strip() in _FORM_TYPES:
            async with request.form() as data:
                for name, value in data.multi_items():
                    form.setdefault(name, []).append(value if isinstance(value, str) else "")
        else:
            body = (await request.body()).decode("utf-8", "replace")
        item = {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "content_type": content_type,
            "form": form,
            "body": body,
        }
        with self._lock:
            self._items.append(item)

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _pages(site: Site) -> dict[str, str]:
    found = {site.login_path: login_template(site)}
    if site.login is LoginStyle.IDENTIFIER_FIRST:
        found[site.password_path] = "pages/password.html"
    if site.code is not None:
        found[site.verify_path] = code_template(site)
    return found


def create_lookalike_app(sites: tuple[Site, ...] = SITES) -> Starlette:
    captures = Captures()
    templates = {path: (site, name) for site in sites for path, name in _pages(site).items()}

    async def index(request: Request) -> Response:
        return render(request, "pages/index.html", {"sites": sites})

    async def any_page(request: Request) -> Response:
        if request.method != "GET" or request.url.query:
            await captures.record(request)
        found = templates.get(request.url.path)
        if found is None:
            return Response("Not Found", status_code=404, media_type="text/plain")
        site, name = found
        context = {
            "site": site,
            "csrf": secrets.token_urlsafe(24),
            "username": "alice@demo.test",  # what a phishing page would pretend to know
            "notice": None,
            "error": WRONG_CREDENTIALS if request.method != "GET" else None,
        }
        return render(request, name, context, status_code=200 if request.method == "GET" else 401)

    async def captured(request: Request) -> Response:
        if request.method == "DELETE":
            captures.clear()
            return Response(status_code=204)
        return JSONResponse({"submissions": captures.all()}, headers={"Cache-Control": "no-store"})

    app = Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/_captured", captured, methods=["GET", "DELETE"]),
            Route("/{path:path}", any_page, methods=["GET", "POST", "PUT", "PATCH"]),
        ]
    )
    app.state.captures = captures
    return app
