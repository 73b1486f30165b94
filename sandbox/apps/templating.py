"""Jinja2 templates of the demo sites and of the look-alike (which must render the same markup)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> Response:
    response: Response = templates.TemplateResponse(
        request,
        name,
        context,
        status_code=status_code,
        # Login pages are never cached: a back button must not show a stale CSRF token.
        headers={"Cache-Control": "no-store"},
    )
    return response
