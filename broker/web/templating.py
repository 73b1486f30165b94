"""HTML pages: one Jinja2 environment, templates split into pages, components and partials.

Every page is sent with headers that keep it out of caches, keep its URL out of `Referer`, forbid
framing and allow no script at all: the pages need none, and the launch page carries a grant that
only the extension's content script may read (docs/launch-contract.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from broker.sessions import csrf_token
from broker.web import flash

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=TEMPLATES)
# Templates ship with the package and are compiled once: no stat of every template file (base,
# header, components) on every page to see whether it changed.
templates.env.auto_reload = False

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    """Render `pages/<name>`; `member` (or None), the form token and the waiting flash message
    (`broker.web.flash`, shown once: the response deletes its cookie) are always in the context."""
    context.setdefault("member", None)
    context.setdefault("csrf_token", csrf_token(request))
    context.setdefault("flash", flash.take(request))
    response = templates.TemplateResponse(
        request, f"pages/{name}", context, status_code=status_code, headers=PAGE_HEADERS
    )
    flash.forget(request, response)
    return response
